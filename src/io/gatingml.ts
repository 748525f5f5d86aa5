/**
 * Gating-ML 2.0 reader (Spidlen et al., Cytometry A 2015;87:683; XSDs Gating-ML.v2.0 / Transformations.v2.0 /
 * DataTypes.v2.0): rectangle, polygon, ellipsoid, quadrant and boolean gates with parent_id, scale transforms
 * (flin, flog, fasinh, logicle, hyperlog), fratio dimensions and spectrum matrices.
 * Namespace prefixes are ignored (matching is by local name). Rectangle limits are min-inclusive, max-exclusive.
 */
import { readFileSync } from 'node:fs';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { InputError } from '../errors.js';
import type { Dimension, Gate, GatingStrategy, RatioTransform } from '../flow/gates.js';
import type { ScaleTransform } from '../flow/transforms.js';

/** A namespace-free XML element. */
export interface XmlNode {
  tag: string;
  attrs: Record<string, string>;
  children: XmlNode[];
  text: string;
}

type Ordered = Record<string, unknown>;

/**
 * Checks that `xml` is well-formed; the error names the file and the line and column of the fault
 * (fast-xml-parser's validator, whose column is missing for some faults such as an empty document).
 * @throws InputError `FILE: not well-formed XML at line 3, column 7: <fault>`
 */
function assertWellFormed(xml: string, file: string): void {
  const loc = file ? { file } : {};
  if (xml.trim() === '') throw new InputError('not well-formed XML: the file is empty', loc);
  const v = XMLValidator.validate(xml);
  if (v === true) return;
  const { line, col, msg } = v.err as { line?: number; col?: number; msg: string };
  const at = [line !== undefined ? `line ${line}` : null, col !== undefined ? `column ${col}` : null]
    .filter(Boolean)
    .join(', ');
  throw new InputError(`not well-formed XML${at ? ` at ${at}` : ''}: ${msg.replace(/\.$/, '')}`, loc);
}

/**
 * Parses XML into `XmlNode`s with namespace prefixes removed, keeping element order.
 * @throws InputError naming the file, line and column when the XML is not well-formed
 */
export function parseXmlTree(xml: string, file = ''): XmlNode {
  assertWellFormed(xml, file);
  let raw: unknown;
  try {
    const parser = new XMLParser({
      preserveOrder: true,
      ignoreAttributes: false,
      attributeNamePrefix: '',
      removeNSPrefix: true,
      parseAttributeValue: false,
      parseTagValue: false,
      trimValues: true,
    });
    raw = parser.parse(xml);
  } catch (err) {
    throw new InputError(`not well-formed XML: ${(err as Error).message}`, file ? { file } : {});
  }
  const convert = (items: Ordered[]): XmlNode[] => {
    const out: XmlNode[] = [];
    for (const item of items) {
      const attrsRaw = (item[':@'] ?? {}) as Record<string, unknown>;
      for (const [k, v] of Object.entries(item)) {
        if (k === ':@' || k === '#text' || k === '?xml' || k === '#comment') continue;
        const kids = (v ?? []) as Ordered[];
        const text = kids
          .filter((c) => '#text' in c)
          .map((c) => String(c['#text']))
          .join('');
        const attrs: Record<string, string> = {};
        for (const [ak, av] of Object.entries(attrsRaw)) attrs[ak] = String(av);
        out.push({ tag: k, attrs, children: convert(kids.filter((c) => !('#text' in c))), text });
      }
    }
    return out;
  };
  const roots = convert(raw as Ordered[]);
  const root = roots[roots.length - 1];
  if (!root) throw new InputError('empty XML document', { file });
  return root;
}

const kids = (n: XmlNode, tag: string): XmlNode[] => n.children.filter((c) => c.tag === tag);
const kid = (n: XmlNode, tag: string): XmlNode | undefined => n.children.find((c) => c.tag === tag);

/**
 * Reads a Gating-ML 2.0 file.
 * @throws InputError for unreadable XML, missing required attributes, or unknown elements in a gate
 */
export function readGatingMl(file: string): GatingStrategy {
  return parseGatingMl(readFileSync(file, 'utf8'), file);
}

/**
 * Parses Gating-ML 2.0 text into a gating strategy (gates in document order; <sample> wrappers are searched).
 * @throws InputError as `readGatingMl`
 */
export function parseGatingMl(xml: string, file = ''): GatingStrategy {
  const root = parseXmlTree(xml, file);
  if (root.tag !== 'Gating-ML')
    throw new InputError('root element is not Gating-ML', { file, value: root.tag });
  const parser = new GatingMlParser(file);
  parser.visit(root);
  return parser.strategy;
}

/** The elements of one Gating-ML document, turned into a strategy one element at a time. */
class GatingMlParser {
  readonly strategy: GatingStrategy = {
    gates: [],
    transforms: {},
    ratios: {},
    matrices: {},
    closure: 'min-inclusive',
  };

  constructor(private readonly file: string) {}

  /** The children of `node` in document order (`<sample>` wrappers are searched; other elements skipped). */
  visit(node: XmlNode): void {
    for (const el of node.children) {
      const id = el.attrs['id'];
      const parentId = el.attrs['parent_id'] ?? null;
      switch (el.tag) {
        case 'sample':
          this.visit(el);
          break;
        case 'spectrumMatrix':
          this.spectrumMatrix(el, id, parentId);
          break;
        case 'transformation':
          this.transformation(el, id, parentId);
          break;
        case 'RectangleGate':
          this.rectangleGate(el, id, parentId);
          break;
        case 'PolygonGate':
          this.polygonGate(el, id, parentId);
          break;
        case 'EllipsoidGate':
          this.ellipsoidGate(el, id, parentId);
          break;
        case 'QuadrantGate':
          this.quadrantGate(el, id, parentId);
          break;
        case 'BooleanGate':
          this.booleanGate(el, id, parentId);
          break;
        default:
          break; // custom_info and other non-gate elements
      }
    }
  }

  private num(n: XmlNode, attr: string, required = true): number | null {
    const v = n.attrs[attr];
    if (v === undefined) {
      if (required)
        throw new InputError(`<${n.tag}> lacks attribute ${attr}`, { file: this.file, field: attr });
      return null;
    }
    const x = Number(v);
    if (!Number.isFinite(x))
      throw new InputError(`<${n.tag}> ${attr} is not a number`, { file: this.file, field: attr, value: v });
    return x;
  }

  private str(n: XmlNode, attr: string): string {
    const v = n.attrs[attr];
    if (v === undefined)
      throw new InputError(`<${n.tag}> lacks attribute ${attr}`, { file: this.file, field: attr });
    return v;
  }

  private fcsNames(n: XmlNode | undefined): string[] {
    return n ? kids(n, 'fcs-dimension').map((d) => this.str(d, 'name')) : [];
  }

  private dimension(d: XmlNode): Dimension {
    const compensationRef = d.attrs['compensation-ref'];
    if (compensationRef === undefined) {
      throw new InputError('gate dimension lacks compensation-ref', {
        file: this.file,
        field: 'compensation-ref',
      });
    }
    const transformRef = d.attrs['transformation-ref'] ?? null;
    const fcs = kid(d, 'fcs-dimension');
    if (fcs) return { kind: 'parameter', name: this.str(fcs, 'name'), compensationRef, transformRef };
    const nd = kid(d, 'new-dimension');
    if (nd)
      return { kind: 'ratio', ratioRef: this.str(nd, 'transformation-ref'), compensationRef, transformRef };
    throw new InputError('gate dimension has neither fcs-dimension nor new-dimension', {
      file: this.file,
      field: 'dimension',
    });
  }

  /** `<spectrumMatrix>` (Gating-ML 2.0). */
  private spectrumMatrix(el: XmlNode, id: string | undefined, _parentId: string | null): void {
    const fluorochromes = this.fcsNames(kid(el, 'fluorochromes'));
    const detectors = this.fcsNames(kid(el, 'detectors'));
    const values = kids(el, 'spectrum').map((s) => kids(s, 'coefficient').map((c) => this.num(c, 'value')!));
    if (values.length !== fluorochromes.length || values.some((r) => r.length !== detectors.length)) {
      throw new InputError('spectrumMatrix is not fluorochromes × detectors', {
        file: this.file,
        field: 'spectrumMatrix',
        value: id,
      });
    }
    this.strategy.matrices[this.str(el, 'id')] = { fluorochromes, detectors, values };
  }

  /** `<transformation>` (Gating-ML 2.0). */
  private transformation(el: XmlNode, _id: string | undefined, _parentId: string | null): void {
    const tid = this.str(el, 'id');
    const t = el.children[0];
    if (!t)
      throw new InputError('empty transformation', { file: this.file, field: 'transformation', value: tid });
    const p = (a: string): number => this.num(t, a)!;
    let st: ScaleTransform | null = null;
    if (t.tag === 'flin') st = { kind: 'flin', T: p('T'), A: p('A') };
    else if (t.tag === 'flog') st = { kind: 'flog', T: p('T'), M: p('M') };
    else if (t.tag === 'fasinh') st = { kind: 'fasinh', T: p('T'), M: p('M'), A: p('A') };
    else if (t.tag === 'logicle' || t.tag === 'hyperlog')
      st = { kind: t.tag, T: p('T'), W: p('W'), M: p('M'), A: p('A') };
    else if (t.tag === 'fratio') {
      const names = this.fcsNames(t);
      if (names.length !== 2)
        throw new InputError('fratio needs two fcs-dimensions', {
          file: this.file,
          field: 'fratio',
          value: tid,
        });
      const r: RatioTransform = {
        numerator: names[0]!,
        denominator: names[1]!,
        A: p('A'),
        B: p('B'),
        C: p('C'),
      };
      this.strategy.ratios[tid] = r;
    } else
      throw new InputError('unsupported transformation', {
        file: this.file,
        field: 'transformation',
        value: t.tag,
      });
    if (st) this.strategy.transforms[tid] = st;
  }

  /** `<RectangleGate>` (Gating-ML 2.0). */
  private rectangleGate(el: XmlNode, id: string | undefined, parentId: string | null): void {
    const dims = kids(el, 'dimension').map((d) => ({
      dim: this.dimension(d),
      min: this.num(d, 'min', false),
      max: this.num(d, 'max', false),
    }));
    if (dims.length === 0)
      throw new InputError('RectangleGate without dimensions', {
        file: this.file,
        field: 'RectangleGate',
        value: id,
      });
    this.strategy.gates.push({ kind: 'rectangle', id: this.str(el, 'id'), parentId, dims });
  }

  /** `<PolygonGate>` (Gating-ML 2.0). */
  private polygonGate(el: XmlNode, id: string | undefined, parentId: string | null): void {
    const dims = kids(el, 'dimension').map((d) => this.dimension(d));
    const vertices = kids(el, 'vertex').map((v) => kids(v, 'coordinate').map((c) => this.num(c, 'value')!));
    if (dims.length !== 2 || vertices.length < 3 || vertices.some((v) => v.length !== 2)) {
      throw new InputError('PolygonGate needs 2 dimensions and ≥ 3 two-coordinate vertices', {
        file: this.file,
        field: 'PolygonGate',
        value: id,
      });
    }
    this.strategy.gates.push({
      kind: 'polygon',
      id: this.str(el, 'id'),
      parentId,
      dims: [dims[0]!, dims[1]!],
      vertices: vertices.map((v) => [v[0]!, v[1]!]),
    });
  }

  /** `<EllipsoidGate>` (Gating-ML 2.0). */
  private ellipsoidGate(el: XmlNode, id: string | undefined, parentId: string | null): void {
    const dims = kids(el, 'dimension').map((d) => this.dimension(d));
    const meanNode = kid(el, 'mean');
    const covNode = kid(el, 'covarianceMatrix');
    const dsNode = kid(el, 'distanceSquare');
    if (!meanNode || !covNode || !dsNode) {
      throw new InputError('EllipsoidGate needs mean, covarianceMatrix and distanceSquare', {
        file: this.file,
        field: 'EllipsoidGate',
        value: id,
      });
    }
    const mean = kids(meanNode, 'coordinate').map((c) => this.num(c, 'value')!);
    const covariance = kids(covNode, 'row').map((r) => kids(r, 'entry').map((c) => this.num(c, 'value')!));
    if (
      mean.length !== dims.length ||
      covariance.length !== dims.length ||
      covariance.some((r) => r.length !== dims.length)
    ) {
      throw new InputError('EllipsoidGate mean/covariance do not match its dimensions', {
        file: this.file,
        field: 'EllipsoidGate',
        value: id,
      });
    }
    this.strategy.gates.push({
      kind: 'ellipsoid',
      id: this.str(el, 'id'),
      parentId,
      dims,
      mean,
      covariance,
      distanceSquare: this.num(dsNode, 'value')!,
    });
  }

  /** `<QuadrantGate>` (Gating-ML 2.0). */
  private quadrantGate(el: XmlNode, id: string | undefined, parentId: string | null): void {
    const dividers = new Map<string, { dim: Dimension; values: number[] }>();
    for (const dv of kids(el, 'divider')) {
      const values = kids(dv, 'value').map((v) => {
        const x = Number(v.text);
        if (!Number.isFinite(x))
          throw new InputError('divider value is not a number', {
            file: this.file,
            field: 'divider',
            value: v.text,
          });
        return x;
      });
      values.sort((a, b) => a - b);
      dividers.set(this.str(dv, 'id'), { dim: this.dimension(dv), values });
    }
    for (const q of kids(el, 'Quadrant')) {
      const dims = kids(q, 'position').map((pos) => {
        const ref = this.str(pos, 'divider_ref');
        const dv = dividers.get(ref);
        if (!dv)
          throw new InputError('Quadrant position refers to an unknown divider', {
            file: this.file,
            field: 'divider_ref',
            value: ref,
          });
        const loc = this.num(pos, 'location')!;
        let lo = -Infinity;
        let hi = Infinity;
        for (const v of dv.values) {
          if (v <= loc) lo = v;
          else {
            hi = v;
            break;
          }
        }
        return { dim: dv.dim, lo, hi };
      });
      this.strategy.gates.push({ kind: 'quadrant', id: this.str(q, 'id'), parentId, dims });
    }
  }

  /** `<BooleanGate>` (Gating-ML 2.0). */
  private booleanGate(el: XmlNode, id: string | undefined, parentId: string | null): void {
    const opNode = el.children.find((c) => c.tag === 'and' || c.tag === 'or' || c.tag === 'not');
    if (!opNode)
      throw new InputError('BooleanGate needs and/or/not', {
        file: this.file,
        field: 'BooleanGate',
        value: id,
      });
    const operands = kids(opNode, 'gateReference').map((r) => ({
      ref: this.str(r, 'ref'),
      complement: r.attrs['use-as-complement'] === 'true',
    }));
    const gate: Gate = {
      kind: 'boolean',
      id: this.str(el, 'id'),
      parentId,
      op: opNode.tag as 'and' | 'or' | 'not',
      operands,
    };
    this.strategy.gates.push(gate);
  }
}
