/**
 * The command manifest: every `carto` command as JSON — names, arguments, options, help texts — with
 * the command-module files (`src/cli/commands/<file>.ts`) that register each top-level command.
 *
 * `npm run build` writes it to `dist/cli-manifest.json` (scripts/build.mjs). The built CLI rebuilds
 * the command tree from it, so `carto --help`, `carto <cmd> --help`, `--version` and usage errors need
 * no command module at all, and a command that runs imports only the files of its top-level name
 * (a group such as `stats` is registered by several files). Commander renders help from the rebuilt
 * tree exactly as from the real one (test/cli/startup.test.ts compares the two for every command).
 */
import type { Argument, Command, Option } from 'commander';

/** Bumped whenever the JSON shape changes; a manifest of another version is rejected. */
export const MANIFEST_VERSION = 1;

const HELP_POSITIONS = ['beforeAll', 'before', 'after', 'afterAll'] as const;
type HelpPosition = (typeof HELP_POSITIONS)[number];

/** One positional argument of a command. */
export interface ArgumentSpec {
  name: string;
  description: string;
  required: boolean;
  variadic: boolean;
  defaultValue?: unknown;
  defaultValueDescription?: string;
  choices?: string[];
}

/** One option of a command (`flags` as written, e.g. `-o, --out <dir>`). */
export interface OptionSpec {
  flags: string;
  description: string;
  defaultValue?: unknown;
  defaultValueDescription?: string;
  choices?: string[];
  hidden: boolean;
  mandatory: boolean;
  presetArg?: unknown;
  envVar?: string;
  helpGroup?: string;
}

/** One command with its sub-commands; `helpText` holds the texts of `addHelpText(position, …)`. */
export interface CommandSpec {
  name: string;
  aliases: string[];
  description: string;
  summary: string;
  helpGroup: string;
  hidden: boolean;
  allowUnknownOption: boolean;
  allowExcessArguments: boolean;
  passThroughOptions: boolean;
  arguments: ArgumentSpec[];
  options: OptionSpec[];
  helpText: Partial<Record<HelpPosition, string>>;
  commands: CommandSpec[];
}

/** The manifest: top-level commands in registration order, each with the files registering it. */
export interface CommandManifest {
  version: number;
  commands: { spec: CommandSpec; files: string[] }[];
}

/** Commander keeps these settings in fields its typings do not declare. */
interface CommandInternals {
  _hidden: boolean;
  _allowUnknownOption: boolean;
  _allowExcessArguments: boolean;
  _passThroughOptions: boolean;
  listeners(event: string): ((context: unknown) => void)[];
}

/** The JSON description of `cmd` and its sub-commands (the implicit `help` command excluded). */
export function commandSpec(cmd: Command): CommandSpec {
  const internals = cmd as unknown as CommandInternals;
  const helpText: Partial<Record<HelpPosition, string>> = {};
  for (const position of HELP_POSITIONS) {
    let text = '';
    const context = { error: false, command: cmd, write: (s: string) => (text += s) };
    for (const listener of internals.listeners(`${position}Help`)) listener(context);
    // addHelpText writes each text followed by a newline, which it adds again on the way back.
    if (text !== '') helpText[position] = text.replace(/\n$/, '');
  }
  return {
    name: cmd.name(),
    aliases: cmd.aliases(),
    description: cmd.description(),
    summary: cmd.summary(),
    helpGroup: cmd.helpGroup(),
    hidden: internals._hidden,
    allowUnknownOption: internals._allowUnknownOption,
    allowExcessArguments: internals._allowExcessArguments,
    passThroughOptions: internals._passThroughOptions,
    arguments: cmd.registeredArguments.map(argumentSpec),
    options: cmd.options.map(optionSpec),
    helpText,
    commands: cmd.commands.map(commandSpec),
  };
}

function argumentSpec(a: Argument): ArgumentSpec {
  return {
    name: a.name(),
    description: a.description,
    required: a.required,
    variadic: a.variadic,
    ...(a.defaultValue !== undefined ? { defaultValue: a.defaultValue as unknown } : {}),
    ...(a.defaultValueDescription !== undefined
      ? { defaultValueDescription: a.defaultValueDescription }
      : {}),
    ...(a.argChoices ? { choices: [...a.argChoices] } : {}),
  };
}

function optionSpec(o: Option): OptionSpec {
  return {
    flags: o.flags,
    description: o.description,
    ...(o.defaultValue !== undefined ? { defaultValue: o.defaultValue as unknown } : {}),
    ...(o.defaultValueDescription !== undefined
      ? { defaultValueDescription: o.defaultValueDescription }
      : {}),
    ...(o.argChoices ? { choices: [...o.argChoices] } : {}),
    hidden: o.hidden,
    mandatory: o.mandatory,
    ...(o.presetArg !== undefined ? { presetArg: o.presetArg } : {}),
    ...(o.envVar !== undefined ? { envVar: o.envVar } : {}),
    ...(o.helpGroupHeading !== undefined ? { helpGroup: o.helpGroupHeading } : {}),
  };
}

/**
 * Adds the command `spec` (and its sub-commands) to `parent`. Leaf commands get `action` as their
 * action: it is called with the leaf and is expected to run the real command.
 */
export function addCommandFromSpec(
  parent: Command,
  spec: CommandSpec,
  action: (leaf: Command) => Promise<void>,
): Command {
  // parent.command() (not new Command) so inherited settings are copied as for the real commands.
  const cmd = parent.command(spec.name, { hidden: spec.hidden }).description(spec.description);
  for (const alias of spec.aliases) cmd.alias(alias);
  if (spec.summary) cmd.summary(spec.summary);
  if (spec.helpGroup) cmd.helpGroup(spec.helpGroup);
  cmd.allowUnknownOption(spec.allowUnknownOption);
  cmd.allowExcessArguments(spec.allowExcessArguments);
  if (spec.passThroughOptions) cmd.passThroughOptions();
  for (const a of spec.arguments) {
    const name = `${a.name}${a.variadic ? '...' : ''}`;
    const arg = cmd.createArgument(a.required ? `<${name}>` : `[${name}]`, a.description);
    if (a.defaultValue !== undefined) arg.default(a.defaultValue, a.defaultValueDescription);
    if (a.choices) arg.choices(a.choices);
    cmd.addArgument(arg);
  }
  for (const o of spec.options) {
    const opt = cmd.createOption(o.flags, o.description);
    if (o.defaultValue !== undefined) opt.default(o.defaultValue, o.defaultValueDescription);
    if (o.choices) opt.choices(o.choices);
    if (o.hidden) opt.hideHelp();
    if (o.mandatory) opt.makeOptionMandatory();
    if (o.presetArg !== undefined) opt.preset(o.presetArg);
    if (o.envVar !== undefined) opt.env(o.envVar);
    if (o.helpGroup !== undefined) opt.helpGroup(o.helpGroup);
    cmd.addOption(opt);
  }
  for (const position of HELP_POSITIONS) {
    const text = spec.helpText[position];
    if (text !== undefined) cmd.addHelpText(position, text);
  }
  for (const sub of spec.commands) addCommandFromSpec(cmd, sub, action);
  if (spec.commands.length === 0)
    cmd.action((...args: unknown[]) => action(args[args.length - 1] as Command));
  return cmd;
}

/**
 * Registers the command modules `modules` (file name without extension → its `register`) on
 * `program` one by one, and returns the manifest: each top-level command with the files that added
 * it or changed it (added sub-commands, options, …), in the order `program` lists them.
 */
export function manifestOfModules(
  program: Command,
  modules: { file: string; register: (p: Command) => void }[],
): CommandManifest {
  const files = new Map<string, string[]>();
  for (const { file, register } of modules) {
    const before = new Map(program.commands.map((c) => [c.name(), JSON.stringify(commandSpec(c))]));
    register(program);
    for (const c of program.commands) {
      if (before.get(c.name()) === JSON.stringify(commandSpec(c))) continue;
      files.set(c.name(), [...(files.get(c.name()) ?? []), file]);
    }
  }
  return {
    version: MANIFEST_VERSION,
    commands: program.commands.map((c) => ({ spec: commandSpec(c), files: files.get(c.name()) ?? [] })),
  };
}

/** The manifest entry of the top-level command called `name` (or one of its aliases), if any. */
export function manifestEntry(
  manifest: CommandManifest,
  name: string,
): CommandManifest['commands'][number] | undefined {
  return manifest.commands.find((c) => c.spec.name === name || c.spec.aliases.includes(name));
}

/** Checks the parsed JSON of a manifest file; throws naming `file` when it is not one this code reads. */
export function checkManifest(value: unknown, file: string): CommandManifest {
  const m = value as Partial<CommandManifest> | null;
  if (typeof m !== 'object' || m === null || m.version !== MANIFEST_VERSION || !Array.isArray(m.commands)) {
    throw new Error(
      `${file}: not a command manifest of version ${MANIFEST_VERSION} (rebuild with \`npm run build\`)`,
    );
  }
  return m as CommandManifest;
}
