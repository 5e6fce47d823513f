// The part of jsdom's API Rialto uses, typed here: @types/jsdom pulls the whole DOM library into every file
// of the program (`/// <reference lib="dom" />`), which changes Node's own fetch, Blob and stream types.
declare module 'jsdom' {
  export interface JsdomElement {
    getAttribute(name: string): string | null;
    setAttribute(name: string, value: string): void;
    readonly innerHTML: string;
  }

  export interface JsdomDocument {
    readonly title: string;
    readonly body: JsdomElement | null;
    querySelectorAll(selectors: string): Iterable<JsdomElement>;
    cloneNode(deep: boolean): JsdomDocument;
  }

  export class VirtualConsole {}

  export class JSDOM {
    constructor(html: string, options?: { url?: string; virtualConsole?: VirtualConsole });
    readonly window: { readonly document: JsdomDocument; close(): void };
  }
}
