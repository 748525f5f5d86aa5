#!/usr/bin/env node
// Cartography command-line entry point. Runs the TypeScript sources through tsx, so a fresh clone
// needs only `npm ci` (no build step) before `npx carto …`.
import { register } from 'tsx/esm/api';

register();
await import('../src/cli/main.ts');
