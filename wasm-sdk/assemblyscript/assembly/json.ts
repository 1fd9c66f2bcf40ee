// A small reader for flat JSON objects, enough for most plugin configs without a JSON library:
//
//   let cfg = JSONFields.parse(config());
//   if (cfg.error !== null) { … }
//   let name = cfg.get("header");          // a string field, decoded; null when absent or not a string
//   let limit = cfg.getRaw("limit");       // any other field as its JSON text: "42", "true", "[1,2]", "{…}"
//
// Only the top level is decoded: a nested object or array is kept as its JSON text (getRaw). For anything richer,
// use a full JSON library (for example the json-as package).

export class JSONFields {
  keys: string[] = [];
  // values[i] is the decoded string for a string field and the JSON text otherwise.
  values: string[] = [];
  isString: bool[] = [];
  // error is set when the input is not a flat JSON object.
  error: string | null = null;

  static parse(json: string): JSONFields {
    let f = new JSONFields();
    let r = new Reader(json);
    f.error = r.object(f);
    return f;
  }

  indexOf(key: string): i32 {
    for (let i = 0; i < this.keys.length; i++) if (this.keys[i] == key) return i;
    return -1;
  }

  has(key: string): bool {
    return this.indexOf(key) >= 0;
  }

  /** The string field key, or null when absent or not a string. */
  get(key: string): string | null {
    let i = this.indexOf(key);
    return i >= 0 && this.isString[i] ? this.values[i] : null;
  }

  /** The JSON text of a non-string field (e.g. "42", "true", "[1, 2]"), or null when absent or a string. */
  getRaw(key: string): string | null {
    let i = this.indexOf(key);
    return i >= 0 && !this.isString[i] ? this.values[i] : null;
  }
}

class Reader {
  s: string;
  i: i32 = 0;

  constructor(s: string) {
    this.s = s;
  }

  peek(): i32 {
    return this.i < this.s.length ? this.s.charCodeAt(this.i) : -1;
  }

  space(): void {
    while (true) {
      let c = this.peek();
      if (c != 0x20 && c != 0x09 && c != 0x0a && c != 0x0d) return;
      this.i++;
    }
  }

  eat(c: i32): bool {
    this.space();
    if (this.peek() != c) return false;
    this.i++;
    return true;
  }

  object(f: JSONFields): string | null {
    if (!this.eat(0x7b /* { */)) return "not a JSON object";
    if (!this.eat(0x7d /* } */)) {
      while (true) {
        this.space();
        let key = this.str();
        if (key === null) return "expected a field name at offset " + this.i.toString();
        if (!this.eat(0x3a /* : */)) return "expected ':' after \"" + key + "\"";
        this.space();
        let c = this.peek();
        let v: string | null;
        if (c == 0x22) {
          v = this.str();
          f.isString.push(true);
        } else {
          v = this.literal();
          f.isString.push(false);
        }
        if (v === null) return "\"" + key + "\": malformed value";
        f.keys.push(key);
        f.values.push(v);
        if (this.eat(0x2c /* , */)) continue;
        if (this.eat(0x7d /* } */)) break;
        return "expected ',' or '}' at offset " + this.i.toString();
      }
    }
    this.space();
    if (this.i != this.s.length) return "trailing data after the object";
    return null;
  }

  str(): string | null {
    if (this.peek() != 0x22) return null;
    this.i++;
    let out = "";
    let start = this.i;
    while (true) {
      let c = this.peek();
      if (c < 0) return null;
      if (c == 0x22) break;
      if (c < 0x20) return null;
      if (c != 0x5c /* \ */) {
        this.i++;
        continue;
      }
      out += this.s.substring(start, this.i);
      this.i++;
      let e = this.peek();
      this.i++;
      if (e == 0x22 || e == 0x5c || e == 0x2f) out += String.fromCharCode(e);
      else if (e == 0x62) out += "\b";
      else if (e == 0x66) out += "\f";
      else if (e == 0x6e) out += "\n";
      else if (e == 0x72) out += "\r";
      else if (e == 0x74) out += "\t";
      else if (e == 0x75) {
        if (this.i + 4 > this.s.length) return null;
        let v = I32.parseInt(this.s.substring(this.i, this.i + 4), 16);
        if (isNaN(<f64>v) || v < 0) return null;
        out += String.fromCharCode(v);
        this.i += 4;
      } else return null;
      start = this.i;
    }
    out += this.s.substring(start, this.i);
    this.i++; // closing quote
    return out;
  }

  // literal reads a number, true, false, null, an object or an array, and returns its JSON text.
  literal(): string | null {
    let start = this.i;
    let c0 = this.peek();
    if (c0 == 0x7b /* { */ || c0 == 0x5b /* [ */) return this.skipNested(start) ? this.s.substring(start, this.i) : null;
    while (true) {
      let c = this.peek();
      let ok = (c >= 0x30 && c <= 0x39) || (c >= 0x61 && c <= 0x7a) || c == 0x2d || c == 0x2b || c == 0x2e || c == 0x45;
      if (!ok) break;
      this.i++;
    }
    let t = this.s.substring(start, this.i);
    if (t.length == 0) return null;
    if (t == "true" || t == "false" || t == "null") return t;
    if (isNaN(F64.parseFloat(t))) return null;
    return t;
  }

  // skipNested moves past the object or array that starts here, checking only that brackets and strings balance.
  skipNested(start: i32): bool {
    let depth = 0;
    while (this.i < this.s.length) {
      let c = this.s.charCodeAt(this.i);
      if (c == 0x22) {
        if (this.str() === null) return false;
        continue;
      }
      this.i++;
      if (c == 0x7b || c == 0x5b) depth++;
      else if (c == 0x7d || c == 0x5d) {
        if (--depth == 0) return true;
      }
    }
    return false;
  }
}
