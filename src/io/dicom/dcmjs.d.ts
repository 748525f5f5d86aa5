/**
 * Minimal type declarations for the parts of dcmjs 0.51 that Cartography uses (dcmjs ships no
 * types). Only reading, naturalising and writing Part-10 datasets are declared.
 */
declare module 'dcmjs' {
  /** A dcmjs "denaturalised" element: VR and values, keyed by 8-hex-digit tag in a dict. */
  export interface DcmjsElement {
    vr: string;
    Value: unknown[];
  }
  export type DcmjsDict = Record<string, DcmjsElement>;

  export interface ReadFileOptions {
    ignoreErrors?: boolean;
    untilTag?: string | null;
    includeUntilTagValue?: boolean;
    noCopy?: boolean;
    forceStoreRaw?: boolean;
  }

  export class DicomDict {
    constructor(meta: DcmjsDict);
    meta: DcmjsDict;
    dict: DcmjsDict;
    write(options?: Record<string, unknown>): ArrayBuffer;
  }

  export class DicomMessage {
    static readFile(buffer: ArrayBuffer, options?: ReadFileOptions): DicomDict;
  }

  export class DicomMetaDictionary {
    static naturalizeDataset(dict: DcmjsDict): Record<string, unknown>;
    static denaturalizeDataset(dataset: Record<string, unknown>): DcmjsDict;
    static dictionary: Record<string, { tag: string; vr: string; name: string; vm: string }>;
    static nameMap: Record<string, { tag: string; vr: string; name: string; vm: string }>;
    static uid(): string;
  }

  interface Logger {
    setLevel(level: 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'silent'): void;
    getLogger(name: string): Logger;
  }

  const dcmjs: {
    data: {
      DicomMessage: typeof DicomMessage;
      DicomMetaDictionary: typeof DicomMetaDictionary;
      DicomDict: typeof DicomDict;
    };
    log: Logger;
  };
  export default dcmjs;
}
