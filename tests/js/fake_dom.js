// Just enough of the DOM for h(): elements, text nodes, attributes, listeners.

export class FakeNode {}

export class FakeText extends FakeNode {
  /** @param {string} text */
  constructor(text) {
    super();
    this.textContent = text;
  }
}

export class FakeElement extends FakeNode {
  /** @param {string} tag */
  constructor(tag) {
    super();
    this.tagName = tag.toUpperCase();
    this.className = "";
    this.dataset = {};
    /** @type {Record<string, string>} */
    this.attributes = {};
    /** @type {FakeNode[]} */
    this.childNodes = [];
    /** @type {Record<string, Function[]>} */
    this.listeners = {};
    this._text = null;
  }

  get textContent() {
    return this._text ?? this.childNodes.map((c) => c.textContent).join("");
  }

  set textContent(value) {
    this.childNodes = [];
    this._text = String(value);
  }

  setAttribute(name, value) {
    if (typeof value !== "string") throw new TypeError("attribute values are strings");
    this.attributes[name] = value;
  }

  addEventListener(type, fn) {
    (this.listeners[type] ||= []).push(fn);
  }

  append(...nodes) {
    for (const node of nodes) {
      if (!(node instanceof FakeNode)) throw new TypeError("append() gets nodes only here");
      this.childNodes.push(node);
    }
  }

  replaceChildren() {
    this.childNodes = [];
    this._text = null;
  }
}

export function installFakeDom() {
  globalThis.Node = /** @type {any} */ (FakeNode);
  globalThis.document = /** @type {any} */ ({
    createElement: (tag) => new FakeElement(tag),
    createElementNS: (ns, tag) => Object.assign(new FakeElement(tag), { namespaceURI: ns }),
    createTextNode: (text) => new FakeText(text),
  });
}
