/**
 * Type declaration of xhr2 0.2 (an XMLHttpRequest for Node, which ships no types): the one export
 * Cartography uses, set as `globalThis.XMLHttpRequest` for dicomweb-client (src/io/dicomweb.ts).
 */
declare module 'xhr2' {
  const XMLHttpRequest: new () => unknown;
  export default XMLHttpRequest;
}
