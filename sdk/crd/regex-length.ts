/**
 * The longest string a fully anchored regex can match, or undefined when it is unbounded, unanchored or uses
 * syntax this small parser does not know. The CRD generator turns it into `maxLength`: that adds no restriction
 * (the pattern already forbids longer strings) but lets the API server's CEL cost estimator bound rules that read
 * the string, which otherwise assume megabyte-long values and reject the CRD.
 */
export function maxMatchLength(pattern: string): number | undefined {
  try {
    const parser = new Parser(pattern);
    const alternatives = parser.alternatives();
    if (!parser.done()) return undefined;
    if (!alternatives.every((alt) => alt.anchoredStart && alt.anchoredEnd)) return undefined;
    const max = Math.max(...alternatives.map((alt) => alt.max));
    return Number.isFinite(max) ? max : undefined;
  } catch {
    return undefined;
  }
}

interface Sequence {
  max: number;
  anchoredStart: boolean;
  anchoredEnd: boolean;
}

class Parser {
  private i = 0;

  constructor(private readonly source: string) {}

  done(): boolean {
    return this.i >= this.source.length;
  }

  private peek(): string | undefined {
    return this.source[this.i];
  }

  alternatives(): Sequence[] {
    const out = [this.sequence()];
    while (this.peek() === '|') {
      this.i++;
      out.push(this.sequence());
    }
    return out;
  }

  private sequence(): Sequence {
    let max = 0;
    let anchoredStart = false;
    let anchoredEnd = false;
    let first = true;
    while (!this.done() && this.peek() !== '|' && this.peek() !== ')') {
      const ch = this.peek();
      if (ch === '^') {
        this.i++;
        if (first) anchoredStart = true;
        first = false;
        continue;
      }
      if (ch === '$') {
        this.i++;
        anchoredEnd = this.done() || this.peek() === '|' || this.peek() === ')';
        continue;
      }
      first = false;
      anchoredEnd = false;
      const length = this.atom();
      const times = this.quantifier();
      if (length > 0) max += length * times; // 0 × Infinity would be NaN
    }
    return { max, anchoredStart, anchoredEnd };
  }

  /** The maximum length one occurrence of the next atom matches. */
  private atom(): number {
    const ch = this.source[this.i++];
    if (ch === '(') {
      if (this.peek() === '?') {
        // Non-capturing (?:, named (?P<n> / (?<n>; flags like (?i) have no length.
        const rest = this.source.slice(this.i);
        const named = /^\?P?<[A-Za-z_][A-Za-z0-9_]*>/.exec(rest);
        if (rest.startsWith('?:')) this.i += 2;
        else if (named) this.i += named[0].length;
        else {
          const flags = /^\?[imsU]*\)/.exec(rest);
          if (!flags) throw new Error('unsupported group');
          this.i += flags[0].length;
          return 0;
        }
      }
      const inner = this.alternatives();
      if (this.source[this.i++] !== ')') throw new Error('unclosed group');
      return Math.max(...inner.map((alt) => alt.max));
    }
    if (ch === '[') {
      if (this.peek() === '^') this.i++;
      if (this.peek() === ']') this.i++;
      while (!this.done() && this.peek() !== ']') this.i += this.peek() === '\\' ? 2 : 1;
      if (this.source[this.i++] !== ']') throw new Error('unclosed class');
      return 1;
    }
    if (ch === '\\') {
      const escaped = this.source[this.i++];
      if (escaped === undefined) throw new Error('dangling escape');
      if ('bBAz'.includes(escaped)) return 0;
      if (escaped === 'x' && this.peek() === '{') this.i = this.source.indexOf('}', this.i) + 1;
      else if (escaped === 'x') this.i += 2;
      else if (escaped === 'u') this.i += 4;
      else if ((escaped === 'p' || escaped === 'P') && this.peek() === '{')
        this.i = this.source.indexOf('}', this.i) + 1;
      return 1;
    }
    if (ch === undefined || '*+?{'.includes(ch)) throw new Error('quantifier without atom');
    return 1;
  }

  /** How many times the preceding atom may repeat (Infinity for *, + and {n,}). */
  private quantifier(): number {
    const ch = this.peek();
    let times = 1;
    if (ch === '*' || ch === '+') {
      this.i++;
      times = Infinity;
    } else if (ch === '?') {
      this.i++;
    } else if (ch === '{') {
      const match = /^\{(\d+)(,(\d*))?\}/.exec(this.source.slice(this.i));
      if (!match) return 1; // a literal "{"
      this.i += match[0].length;
      if (match[2] === undefined) times = Number(match[1]);
      else times = match[3] ? Number(match[3]) : Infinity;
    } else {
      return 1;
    }
    if (this.peek() === '?') this.i++; // lazy quantifiers match the same strings
    return times;
  }
}
