/**
 * Registry exports over the caller's scope (records from `ScopedRegistry.allRecords`, already
 * pseudonymised for analysts):
 * - CSV long: one row per entity row (REDCap-style repeat instrument + instance keys always present);
 * - CSV wide: one row per patient, `entity.field.instance` columns, plus computed outcomes;
 * - CDISC ODM 1.3.2 snapshot with an AuditRecord on each item (the latest audit entry that set it).
 *
 * "Missing" stays distinct from "unchecked": a recorded boolean is `1`/`0`; a field with no value is
 * `NA`; a cell that does not apply (another entity's field in the long file, an instance the patient does
 * not have in the wide file) is empty.
 */
import { csvCell } from '../../io/csv.js';
import { ENTITIES, PATIENT_FIELDS, type EntitySpec, type FieldSpec } from '../model.js';
import { patientOutcome, type ApiRow, type PatientRecord } from '../outcomes.js';
import type { AuditEntry } from '../store.js';

/** Cell text of one field value: NA for missing, 1/0 for booleans, `|`-joined lists. */
export function cell(fs: FieldSpec, v: unknown): string {
  if (v === null || v === undefined) return 'NA';
  if (fs.kind === 'bool') return v ? '1' : '0';
  if (Array.isArray(v)) return v.map(String).join('|');
  if (typeof v === 'number' || typeof v === 'string') return String(v);
  return JSON.stringify(v);
}

/** Fields exported for the records (free-text fields dropped when the records carry none: analyst). */
function visibleFields(
  spec: { fields: FieldSpec[] },
  records: PatientRecord[],
  path: string | null,
): FieldSpec[] {
  return spec.fields.filter((fs) => {
    if (!fs.freeText) return true;
    return records.some((r) =>
      path === null ? fs.name in r.patient : (r.rows[path] ?? []).some((row) => fs.name in row),
    );
  });
}

/**
 * CSV export (RFC 4180, comma, header row).
 * @param records patient records in scope
 * @param shape 'long' (one row per entity row) or 'wide' (one row per patient)
 */
export function exportCsv(records: PatientRecord[], shape: 'long' | 'wide'): string {
  const pFields = visibleFields({ fields: PATIENT_FIELDS }, records, null).filter(
    (f) => f.name !== 'pseudonym',
  );
  const eFields = new Map<EntitySpec, FieldSpec[]>(
    ENTITIES.map((e) => [e, visibleFields(e, records, e.path)]),
  );
  if (shape === 'long') {
    const header = ['pseudonym', 'centre', 'entity', 'instance', 'version'];
    for (const e of ENTITIES) for (const fs of eFields.get(e) ?? []) header.push(`${e.path}.${fs.name}`);
    const pHeader = pFields.map((fs) => `patients.${fs.name}`);
    const rows: string[][] = [];
    for (const r of records) {
      const base = [String(r.patient['pseudonym']), scalar(r.patient['centre'], 'NA')];
      const prow = [...base, 'patients', '1', String(r.patient['version'])];
      prow.push(...header.slice(5).map(() => ''));
      prow.push(...pFields.map((fs) => cell(fs, r.patient[fs.name])));
      rows.push(prow);
      for (const e of ENTITIES) {
        (r.rows[e.path] ?? []).forEach((row, k) => {
          const out = [...base, e.path, String(k + 1), String(row['version'])];
          for (const e2 of ENTITIES)
            for (const fs of eFields.get(e2) ?? []) out.push(e2 === e ? cell(fs, row[fs.name]) : '');
          out.push(...pFields.map(() => ''));
          rows.push(out);
        });
      }
    }
    return csvText([...header, ...pHeader], rows);
  }
  const maxInst = new Map<string, number>();
  for (const r of records)
    for (const e of ENTITIES)
      maxInst.set(e.path, Math.max(maxInst.get(e.path) ?? 0, (r.rows[e.path] ?? []).length));
  const header = ['pseudonym', 'centre', ...pFields.map((fs) => fs.name)];
  for (const e of ENTITIES)
    for (let k = 1; k <= (maxInst.get(e.path) ?? 0); k++)
      for (const fs of eFields.get(e) ?? []) header.push(`${e.path}.${fs.name}.${k}`);
  const computed = [
    'maxCrs',
    'maxIcans',
    'veinToVeinDays',
    'stage',
    'dropoutReason',
    'bestResponse',
    'osDays',
    'osStatus',
    'pfsDays',
    'pfsStatus',
    'ttpDays',
    'ttpStatus',
    'nrmDays',
    'nrmStatus',
  ];
  header.push(...computed.map((c) => `computed.${c}`));
  const rows = records.map((r) => {
    const out = [String(r.patient['pseudonym']), scalar(r.patient['centre'], 'NA')];
    out.push(...pFields.map((fs) => cell(fs, r.patient[fs.name])));
    for (const e of ENTITIES) {
      const list = r.rows[e.path] ?? [];
      for (let k = 0; k < (maxInst.get(e.path) ?? 0); k++)
        for (const fs of eFields.get(e) ?? []) {
          const row: ApiRow | undefined = list[k];
          out.push(row ? cell(fs, row[fs.name]) : '');
        }
    }
    const o = patientOutcome(r);
    const na = (v: unknown) => scalar(v, 'NA');
    out.push(
      na(o.maxCrs),
      na(o.maxIcans),
      na(o.veinToVeinDays),
      o.stage,
      na(o.dropoutReason),
      na(o.bestResponse),
      na(o.os?.days),
      na(o.os?.status),
      na(o.pfs?.days),
      na(o.pfs?.status),
      na(o.ttp?.days),
      na(o.ttp?.status),
      na(o.nrm?.days),
      na(o.nrm?.status),
    );
    return out;
  });
  return csvText(header, rows);
}

function scalar(v: unknown, missing: string): string {
  return typeof v === 'string' || typeof v === 'number' ? String(v) : missing;
}

function csvText(header: string[], rows: string[][]): string {
  return `${[header, ...rows].map((r) => r.map((c) => csvCell(c)).join(',')).join('\n')}\n`;
}

function esc(s: string): string {
  return s
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;');
}

const oidPart = (s: string) => s.toUpperCase().replace(/[^A-Z0-9]+/g, '_');

function odmType(fs: FieldSpec): string {
  switch (fs.kind) {
    case 'int':
      return 'integer';
    case 'real':
      return 'float';
    case 'date':
      return 'date';
    case 'bool':
      return 'boolean';
    default:
      return 'string';
  }
}

/**
 * CDISC ODM 1.3.2 snapshot (Study/MetaDataVersion with one form per entity, ClinicalData per subject).
 * Each ItemData carries the AuditRecord (user, location = centre, UTC time, reason) of the latest audit
 * entry that set its current value, when `audit` holds one.
 * @param records patient records in scope
 * @param audit audit entries in scope (empty for analysts: no user names leave the registry)
 * @param creationDateTime ISO UTC timestamp for the file header (default now)
 */
export function exportOdm(
  records: PatientRecord[],
  audit: AuditEntry[],
  creationDateTime = new Date().toISOString(),
): string {
  const specs: {
    form: string;
    path: string | null;
    label: string;
    fields: FieldSpec[];
    repeating: boolean;
  }[] = [
    {
      form: 'PATIENT',
      path: null,
      label: 'patient',
      fields: visibleFields({ fields: PATIENT_FIELDS }, records, null),
      repeating: false,
    },
    ...ENTITIES.map((e) => ({
      form: oidPart(e.path),
      path: e.path,
      label: e.label,
      fields: visibleFields(e, records, e.path),
      repeating: !e.single,
    })),
  ];
  const lastSet = new Map<string, AuditEntry>(); // rowId|field → entry
  for (const a of audit) {
    // data changes only: access events (sign-in, export) set no item
    if ((a.action !== 'create' && a.action !== 'update') || !a.newValues) continue;
    for (const [k, v] of Object.entries(a.newValues)) {
      if (k === 'version') continue;
      const prev = a.oldValues ? a.oldValues[k] : undefined;
      if (a.action === 'create' || JSON.stringify(prev) !== JSON.stringify(v))
        lastSet.set(`${a.rowId}|${k}`, a);
    }
  }
  const users = new Set<string>();
  const locations = new Set<string>();
  for (const a of lastSet.values()) users.add(a.username);
  for (const r of records) locations.add(scalar(r.patient['centre'], 'unknown'));
  const L: string[] = [];
  L.push('<?xml version="1.0" encoding="UTF-8"?>');
  L.push(
    `<ODM xmlns="http://www.cdisc.org/ns/odm/v1.3" ODMVersion="1.3.2" FileType="Snapshot" FileOID="CARTO.REGISTRY.${esc(creationDateTime.replace(/[^0-9]/g, ''))}" CreationDateTime="${esc(creationDateTime)}" Originator="Cartography registry">`,
  );
  L.push('<Study OID="CARTO.REGISTRY">');
  L.push(
    '<GlobalVariables><StudyName>CAR T programme registry</StudyName><StudyDescription>Patients from referral to follow-up</StudyDescription><ProtocolName>CARTO-REGISTRY</ProtocolName></GlobalVariables>',
  );
  L.push('<MetaDataVersion OID="MDV.1" Name="Registry model v1">');
  L.push('<Protocol><StudyEventRef StudyEventOID="SE.JOURNEY" OrderNumber="1" Mandatory="Yes"/></Protocol>');
  L.push('<StudyEventDef OID="SE.JOURNEY" Name="CAR T journey" Repeating="No" Type="Common">');
  specs.forEach((s, i) => L.push(`<FormRef FormOID="F.${s.form}" OrderNumber="${i + 1}" Mandatory="No"/>`));
  L.push('</StudyEventDef>');
  for (const s of specs) {
    L.push(`<FormDef OID="F.${s.form}" Name="${esc(s.label)}" Repeating="${s.repeating ? 'Yes' : 'No'}">`);
    L.push(`<ItemGroupRef ItemGroupOID="IG.${s.form}" Mandatory="Yes"/>`);
    L.push('</FormDef>');
  }
  for (const s of specs) {
    L.push(`<ItemGroupDef OID="IG.${s.form}" Name="${esc(s.label)}" Repeating="No">`);
    s.fields.forEach((fs, i) =>
      L.push(
        `<ItemRef ItemOID="IT.${s.form}.${oidPart(fs.name)}" OrderNumber="${i + 1}" Mandatory="${fs.required ? 'Yes' : 'No'}"/>`,
      ),
    );
    L.push('</ItemGroupDef>');
  }
  for (const s of specs)
    for (const fs of s.fields) {
      const cl = fs.kind === 'enum' ? `<CodeListRef CodeListOID="CL.${s.form}.${oidPart(fs.name)}"/>` : '';
      L.push(
        `<ItemDef OID="IT.${s.form}.${oidPart(fs.name)}" Name="${esc(fs.name)}" DataType="${odmType(fs)}"><Description><TranslatedText xml:lang="en">${esc(fs.description)}</TranslatedText></Description>${cl}</ItemDef>`,
      );
    }
  for (const s of specs)
    for (const fs of s.fields.filter((x) => x.kind === 'enum')) {
      L.push(`<CodeList OID="CL.${s.form}.${oidPart(fs.name)}" Name="${esc(fs.name)}" DataType="text">`);
      for (const v of fs.values ?? []) L.push(`<EnumeratedItem CodedValue="${esc(v)}"/>`);
      L.push('</CodeList>');
    }
  L.push('</MetaDataVersion></Study>');
  L.push('<AdminData StudyOID="CARTO.REGISTRY">');
  for (const u of [...users].sort())
    L.push(`<User OID="USR.${esc(oidPart(u))}"><LoginName>${esc(u)}</LoginName></User>`);
  for (const l of [...locations].sort())
    L.push(
      `<Location OID="LOC.${esc(oidPart(l))}" Name="${esc(l)}" LocationType="Site"><MetaDataVersionRef StudyOID="CARTO.REGISTRY" MetaDataVersionOID="MDV.1" EffectiveDate="2026-01-01"/></Location>`,
    );
  L.push('</AdminData>');
  L.push('<ClinicalData StudyOID="CARTO.REGISTRY" MetaDataVersionOID="MDV.1">');
  for (const r of records) {
    const loc = oidPart(scalar(r.patient['centre'], 'unknown'));
    L.push(
      `<SubjectData SubjectKey="${esc(String(r.patient['pseudonym']))}"><SiteRef LocationOID="LOC.${esc(loc)}"/>`,
    );
    L.push('<StudyEventData StudyEventOID="SE.JOURNEY">');
    for (const s of specs) {
      const rows = s.path === null ? [r.patient] : (r.rows[s.path] ?? []);
      rows.forEach((row, k) => {
        L.push(`<FormData FormOID="F.${s.form}"${s.repeating ? ` FormRepeatKey="${k + 1}"` : ''}>`);
        L.push(`<ItemGroupData ItemGroupOID="IG.${s.form}">`);
        for (const fs of s.fields) {
          const v = row[fs.name];
          if (v === null || v === undefined) continue;
          const value =
            fs.kind === 'bool'
              ? v
                ? 'true'
                : 'false'
              : Array.isArray(v)
                ? v.map(String).join('|')
                : scalar(v, '');
          const a = lastSet.get(`${String(row['id'])}|${fs.name}`);
          const ar = a
            ? `<AuditRecord><UserRef UserOID="USR.${esc(oidPart(a.username))}"/><LocationRef LocationOID="LOC.${esc(loc)}"/><DateTimeStamp>${esc(a.atUtc)}</DateTimeStamp><ReasonForChange>${esc(a.reason)}</ReasonForChange><SourceID>audit-${a.seq}</SourceID></AuditRecord>`
            : '';
          L.push(
            `<ItemData ItemOID="IT.${s.form}.${oidPart(fs.name)}" Value="${esc(value)}">${ar}</ItemData>`,
          );
        }
        L.push('</ItemGroupData></FormData>');
      });
    }
    L.push('</StudyEventData></SubjectData>');
  }
  L.push('</ClinicalData></ODM>');
  return `${L.join('\n')}\n`;
}
