/**
 * FlowJo 10 workspace (.wsp) reader: samples (keywords, $FIL, sample id), sample groups, per-sample spillover
 * matrices (`transforms:spilloverMatrix`, compensated parameters named with its prefix, e.g. "Comp-FL1-A"),
 * per-parameter display transforms, and the population tree (Gating-ML-style RectangleGate / PolygonGate under
 * `Population/Gate`, EllipsoidGate, boolean `AndNode` / `OrNode` / `NotNode` with `Dependents`).
 *
 * FlowJo 10 stores gate vertices in data units; polygons are drawn (and so must be evaluated) on the display scale,
 * so vertices and events are mapped through the parameter's transform (linear/log/logicle/asinh, and FlowJo's biex
 * exactly as FlowJo's lookup table: src/flow/flowjo-biex.ts). Rectangles do not depend on a monotone transform and
 * are evaluated on data units (min-inclusive, max-exclusive as Gating-ML). Ellipse gates (`EllipsoidGate`: two foci
 * and four edge points on the plot's 256 × 256 display grid) become Gating-ML ellipsoids on the display scale
 * (`ellipseFromFociAndEdge`, src/flow/gates.ts).
 * Not supported (clear InputError): quadrant gates stored other than as rectangles, other gate types.
 * Source: FlowJo 10 workspace XML as written by FlowJo 10.x (Gating-ML 2.0 namespaces for gates/transforms);
 * FlowKit's workspace support was used to learn the structure.
 */
import { readFileSync } from 'node:fs';
import { InputError } from '../errors.js';
import { ellipseFromFociAndEdge, type Dimension, type Gate, type GatingStrategy } from '../flow/gates.js';
import { compileTransform, type ScaleTransform } from '../flow/transforms.js';
import type { SpilloverMatrix } from '../flow/types.js';
import { parseXmlTree, type XmlNode } from './gatingml.js';

/** A FlowJo population with its gate and children. */
export interface FlowJoPopulation {
  name: string;
  /** Path from the sample root, e.g. "Lymphocytes/CD3+/CD4+". */
  path: string;
  /** Event count FlowJo stored (for checking), or null. */
  count: number | null;
}

/** One sample of a workspace. */
export interface FlowJoSample {
  sampleId: string;
  /** SampleNode name (usually the FCS file name). */
  name: string;
  /** DataSet uri. */
  uri: string | null;
  keywords: Record<string, string>;
  spillover: (SpilloverMatrix & { id: string; prefix: string }) | null;
  /** Display transform per parameter name (null = linear). */
  transforms: Record<string, ScaleTransform | null>;
  populations: FlowJoPopulation[];
  /** The gates as a strategy (ids = population paths). */
  strategy: GatingStrategy;
}

/** A parsed workspace. */
export interface FlowJoWorkspace {
  file: string;
  samples: FlowJoSample[];
  /** Sample groups: name → sample ids. */
  groups: Record<string, string[]>;
}

const kids = (n: XmlNode, tag: string): XmlNode[] => n.children.filter((c) => c.tag === tag);
const kid = (n: XmlNode, tag: string): XmlNode | undefined => n.children.find((c) => c.tag === tag);

/**
 * Reads a FlowJo 10 .wsp file.
 * @throws InputError for unreadable XML, a root that is not Workspace, or unsupported gate types
 */
export function readFlowJoWorkspace(file: string): FlowJoWorkspace {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new InputError(`cannot read workspace: ${(err as Error).message}`, { file });
  }
  return parseFlowJoWorkspace(text, file);
}

export function parseFlowJoWorkspace(xml: string, file = ''): FlowJoWorkspace {
  const root = parseXmlTree(xml, file);
  if (root.tag !== 'Workspace')
    throw new InputError('root element is not a FlowJo Workspace', { file, value: root.tag });
  const groups: Record<string, string[]> = {};
  const groupsNode = kid(root, 'Groups');
  for (const gn of groupsNode ? kids(groupsNode, 'GroupNode') : []) {
    const g = kid(gn, 'Group');
    const refs = g ? kid(g, 'SampleRefs') : undefined;
    groups[gn.attrs['name'] ?? g?.attrs['name'] ?? ''] = refs
      ? kids(refs, 'SampleRef').map((r) => r.attrs['sampleID'] ?? '')
      : [];
  }
  const list = kid(root, 'SampleList');
  const samples = (list ? kids(list, 'Sample') : []).map((s) => parseSample(s, file));
  return { file, samples, groups };
}

function num(n: XmlNode, attr: string, file: string, dflt?: number): number {
  const v = n.attrs[attr];
  if (v === undefined) {
    if (dflt !== undefined) return dflt;
    throw new InputError(`<${n.tag}> lacks attribute ${attr}`, { file, field: attr });
  }
  const x = Number(v);
  if (!Number.isFinite(x))
    throw new InputError(`<${n.tag}> ${attr} is not a number`, { file, field: attr, value: v });
  return x;
}

function parseSample(s: XmlNode, file: string): FlowJoSample {
  const ds = kid(s, 'DataSet');
  const node = kid(s, 'SampleNode');
  const sampleId = ds?.attrs['sampleID'] ?? node?.attrs['sampleID'] ?? '';
  const keywords: Record<string, string> = {};
  const kw = kid(s, 'Keywords');
  for (const k of kw ? kids(kw, 'Keyword') : []) keywords[k.attrs['name'] ?? ''] = k.attrs['value'] ?? '';
  const spillover = parseSpilloverMatrix(s, file, sampleId);
  const { transforms, linearRanges } = parseTransformations(s, file);
  const strategy: GatingStrategy = {
    gates: [],
    transforms: {},
    ratios: {},
    matrices: {},
    closure: 'min-inclusive',
  };
  if (spillover) {
    strategy.matrices[spillover.id] = {
      fluorochromes: spillover.parameterNames,
      detectors: spillover.parameterNames,
      values: spillover.values,
    };
  }
  const populations: FlowJoPopulation[] = [];
  walkPopulations({ file, spillover, transforms, linearRanges, strategy }, node, null, populations);
  return {
    sampleId,
    name: node?.attrs['name'] ?? '',
    uri: ds?.attrs['uri'] ?? null,
    keywords,
    spillover,
    transforms,
    populations,
    strategy,
  };
}

// step: the sample's spillover matrix (null when it has none).
function parseSpilloverMatrix(s: XmlNode, file: string, sampleId: string): FlowJoSample['spillover'] {
  const sm = kid(s, 'spilloverMatrix');
  if (!sm) return null;
  const paramsNode = kid(sm, 'parameters');
  const names = paramsNode ? kids(paramsNode, 'parameter').map((p) => p.attrs['name'] ?? '') : [];
  const values = kids(sm, 'spillover').map((row) => {
    const coefs = new Map(
      kids(row, 'coefficient').map((c) => [c.attrs['parameter'] ?? '', num(c, 'value', file)]),
    );
    return names.map((nm) => coefs.get(nm) ?? 0);
  });
  if (values.length !== names.length) {
    throw new InputError('spilloverMatrix is not square', {
      file,
      field: 'spilloverMatrix',
      value: sampleId,
    });
  }
  return {
    id: sm.attrs['id'] ?? 'FlowJo',
    prefix: sm.attrs['prefix'] ?? 'Comp-',
    parameterNames: names,
    values,
  };
}

// step: the display transform of each parameter, and the axis range of each linear one.
function parseTransformations(
  s: XmlNode,
  file: string,
): {
  transforms: FlowJoSample['transforms'];
  linearRanges: Record<string, { min: number; max: number }>;
} {
  const transforms: FlowJoSample['transforms'] = {};
  /** Axis range of each linear parameter (FlowJo's default axis when a parameter has no transform). */
  const linearRanges: Record<string, { min: number; max: number }> = {};
  const tr = kid(s, 'Transformations');
  for (const t of tr ? tr.children : []) {
    const p = kid(t, 'parameter');
    const name = p?.attrs['name'];
    if (name === undefined) continue;
    switch (t.tag) {
      case 'linear':
        transforms[name] = null;
        linearRanges[name] = { min: num(t, 'minRange', file, 0), max: num(t, 'maxRange', file, 262144) };
        break;
      case 'log':
        transforms[name] = {
          kind: 'flowjo-log',
          offset: num(t, 'offset', file, 1),
          decades: num(t, 'decades', file, 4),
        };
        break;
      case 'logicle':
        transforms[name] = {
          kind: 'logicle',
          T: num(t, 'T', file),
          W: num(t, 'W', file),
          M: num(t, 'M', file),
          A: num(t, 'A', file, 0),
        };
        break;
      case 'fasinh':
        transforms[name] = {
          kind: 'fasinh',
          T: num(t, 'T', file),
          M: num(t, 'M', file),
          A: num(t, 'A', file, 0),
        };
        break;
      case 'biex':
        transforms[name] = {
          kind: 'flowjo-biex',
          pos: num(t, 'pos', file),
          neg: num(t, 'neg', file, 0),
          widthBasis: num(t, 'width', file),
          maxValue: num(t, 'maxRange', file, 262144),
        };
        break;
      default:
        throw new InputError('unsupported FlowJo transform', {
          file,
          field: 'Transformations',
          value: t.tag,
        });
    }
  }
  return { transforms, linearRanges };
}

/** What the gate converters of one sample need. */
interface SampleContext {
  file: string;
  spillover: FlowJoSample['spillover'];
  transforms: FlowJoSample['transforms'];
  /** Axis range of each linear parameter (FlowJo's default axis when a parameter has no transform). */
  linearRanges: Record<string, { min: number; max: number }>;
  /** The strategy being built: gates are pushed, display transforms registered. */
  strategy: GatingStrategy;
}

/** A gate dimension: compensated (`Comp-` prefix of the spillover matrix) or not. */
function dimension(ctx: SampleContext, name: string): Dimension {
  const { spillover } = ctx;
  if (spillover && name.startsWith(spillover.prefix)) {
    return {
      kind: 'parameter',
      name: name.slice(spillover.prefix.length),
      compensationRef: spillover.id,
      transformRef: null,
    };
  }
  return { kind: 'parameter', name, compensationRef: 'uncompensated', transformRef: null };
}

function dimName(d: XmlNode, file: string): string {
  const f = kid(d, 'fcs-dimension');
  if (!f?.attrs['name'])
    throw new InputError('gate dimension without fcs-dimension name', { file, field: 'dimension' });
  return f.attrs['name'];
}

// step: the population tree, depth first: gates and boolean nodes with their paths and counts.
function walkPopulations(
  ctx: SampleContext,
  container: XmlNode | undefined,
  parentPath: string | null,
  populations: FlowJoPopulation[],
): void {
  const { file, strategy } = ctx;
  const subs = container ? kid(container, 'Subpopulations') : undefined;
  if (!subs) return;
  for (const pop of subs.children) {
    const name = pop.attrs['name'] ?? '';
    const path = parentPath === null ? name : `${parentPath}/${name}`;
    const count = pop.attrs['count'] !== undefined ? Number(pop.attrs['count']) : null;
    if (pop.tag === 'Population') {
      const gateWrap = kid(pop, 'Gate');
      const g = gateWrap?.children[0];
      if (!g) throw new InputError('Population without a gate', { file, field: 'Population', value: path });
      strategy.gates.push({ ...convertGate(ctx, g, path, parentPath), name });
    } else if (pop.tag === 'AndNode' || pop.tag === 'OrNode' || pop.tag === 'NotNode') {
      const deps = kid(pop, 'Dependents');
      const refs = (deps ? kids(deps, 'Dependent') : []).map((d) =>
        resolveDependent(d.attrs['name'] ?? '', parentPath),
      );
      const op = pop.tag === 'AndNode' ? 'and' : pop.tag === 'OrNode' ? 'or' : 'not';
      strategy.gates.push({
        kind: 'boolean',
        id: path,
        name,
        parentId: parentPath,
        op,
        operands: refs.map((ref) => ({ ref, complement: false })),
      });
    } else continue;
    populations.push({ name, path, count: Number.isFinite(count) ? count : null });
    walkPopulations(ctx, pop, path, populations);
  }
}

function resolveDependent(dep: string, parentPath: string | null): string {
  // FlowJo writes paths relative to the boolean node's parent ("../CD4+") or with ':' separators.
  const parts = dep.split(/[/:]/).filter((p) => p !== '' && p !== '..' && p !== '.');
  const last = parts[parts.length - 1] ?? dep;
  return parentPath === null ? last : `${parentPath}/${last}`;
}

const displayTransform = (ctx: SampleContext, nm: string): ScaleTransform | null =>
  ctx.transforms[nm] ?? null;

/** The gate dimensions of `names`, drawn on their display transforms (transformRef set when not linear). */
function displayDims(ctx: SampleContext, names: string[]): Dimension[] {
  return names.map((nm) => {
    const d = dimension(ctx, nm);
    const t = displayTransform(ctx, nm);
    if (t) {
      const ref = `${nm}::display`;
      ctx.strategy.transforms[ref] = t;
      d.transformRef = ref;
    }
    return d;
  });
}

/**
 * FlowJo ellipse coordinates sit on the 256 × 256 display grid of the plot: grid value g ↦ g/256 on a
 * transformed axis (whose scale runs 0 … 1), and ↦ min + g/256·(max − min) on a linear axis (data units).
 */
function fromDisplayGrid(ctx: SampleContext, nm: string): { offset: number; scale: number } {
  if (displayTransform(ctx, nm)) return { offset: 0, scale: 1 / 256 };
  const r = ctx.linearRanges[nm] ?? { min: 0, max: 262144 };
  return { offset: r.min, scale: (r.max - r.min) / 256 };
}

function vertexList(parent: XmlNode | undefined, what: string, id: string, file: string): [number, number][] {
  const vs = parent ? kids(parent, 'vertex') : [];
  return vs.map((v) => {
    const c = kids(v, 'coordinate').map((x) => num(x, 'value', file));
    if (c.length !== 2)
      throw new InputError(`EllipsoidGate ${what} vertex needs 2 coordinates`, {
        file,
        field: 'EllipsoidGate',
        value: id,
      });
    return c as [number, number];
  });
}

/** One FlowJo gate element as a Gating-ML-style gate of `src/flow/gates.ts`. */
function convertGate(ctx: SampleContext, g: XmlNode, id: string, parentId: string | null): Gate {
  const { file } = ctx;
  switch (g.tag) {
    case 'RectangleGate':
      return {
        kind: 'rectangle',
        id,
        parentId,
        dims: kids(g, 'dimension').map((d) => ({
          dim: dimension(ctx, dimName(d, file)),
          min: d.attrs['min'] !== undefined ? num(d, 'min', file) : null,
          max: d.attrs['max'] !== undefined ? num(d, 'max', file) : null,
        })),
      };
    case 'PolygonGate': {
      const names = kids(g, 'dimension').map((d) => dimName(d, file));
      if (names.length !== 2)
        throw new InputError('PolygonGate needs 2 dimensions', { file, field: 'PolygonGate', value: id });
      let vertices = kids(g, 'vertex').map(
        (v) => kids(v, 'coordinate').map((c) => num(c, 'value', file)) as [number, number],
      );
      const dims = displayDims(ctx, names);
      const fwd = names.map((nm) => {
        const t = displayTransform(ctx, nm);
        return t ? compileTransform(t) : null;
      });
      vertices = vertices.map((v) => [
        fwd[0] ? fwd[0].forward(v[0]) : v[0],
        fwd[1] ? fwd[1].forward(v[1]) : v[1],
      ]);
      return { kind: 'polygon', id, parentId, dims: [dims[0]!, dims[1]!], vertices };
    }
    case 'EllipsoidGate': {
      const names = kids(g, 'dimension').map((d) => dimName(d, file));
      if (names.length !== 2)
        throw new InputError('EllipsoidGate needs 2 dimensions', {
          file,
          field: 'EllipsoidGate',
          value: id,
        });
      const foci = vertexList(kid(g, 'foci'), 'foci', id, file);
      const edge = vertexList(kid(g, 'edge'), 'edge', id, file);
      if (foci.length !== 2 || edge.length < 4)
        throw new InputError(
          `EllipsoidGate needs 2 foci and 4 edge vertices (has ${foci.length} and ${edge.length})`,
          { file, field: 'EllipsoidGate', value: id },
        );
      // the geometry on the display grid, where the foci are foci; then the axis-wise affine map to the
      // gate's space (an ellipse stays an ellipse: μ' = offset + scale·μ, Σ' = D Σ D with D = diag(scale))
      const e = ellipseFromFociAndEdge([foci[0]!, foci[1]!], edge, { file, gate: id });
      const axes = names.map((nm) => fromDisplayGrid(ctx, nm));
      const mean = e.mean.map((m, k) => axes[k]!.offset + axes[k]!.scale * m);
      const covariance = e.covariance.map((row, i) => row.map((c, j) => c * axes[i]!.scale * axes[j]!.scale));
      return {
        kind: 'ellipsoid',
        id,
        parentId,
        dims: displayDims(ctx, names),
        mean,
        covariance,
        distanceSquare: e.distanceSquare,
      };
    }
    default:
      throw new InputError('unsupported FlowJo gate type', {
        file,
        field: 'Gate',
        value: `${g.tag} (${id})`,
      });
  }
}

/**
 * Chooses the sample of a workspace whose gates apply to an FCS file: by SampleNode name, $FIL keyword, or URI file
 * name equal to `nameOrFile`'s base name, or to the file's `$FIL`.
 * @throws InputError when no sample or more than one matches
 */
export function strategyForSample(
  ws: FlowJoWorkspace,
  nameOrFile: string,
  fcsKeywords: Record<string, string> = {},
): { sample: FlowJoSample; strategy: GatingStrategy; spillover: SpilloverMatrix | null } {
  const base = nameOrFile.split(/[\\/]/).pop() ?? nameOrFile;
  const fil = fcsKeywords['$FIL'];
  const matches = ws.samples.filter((s) => {
    const names = [
      s.name,
      s.keywords['$FIL'],
      s.uri ? decodeURIComponent(s.uri.split('/').pop() ?? '') : undefined,
      s.sampleId,
    ];
    return names.some(
      (n) =>
        n !== undefined && n !== '' && (n === base || n === nameOrFile || (fil !== undefined && n === fil)),
    );
  });
  if (matches.length !== 1) {
    throw new InputError(
      matches.length === 0
        ? `no sample in the workspace matches (samples: ${ws.samples.map((s) => s.name).join(', ')})`
        : 'several samples in the workspace match; give --sample',
      { file: ws.file, field: '--sample', value: nameOrFile },
    );
  }
  const sample = matches[0]!;
  return { sample, strategy: sample.strategy, spillover: sample.spillover };
}
