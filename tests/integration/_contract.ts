/**
 * Checks HTTP responses against the server's own OpenAPI document with a JSON Schema validator
 * (ajv, draft 2020-12 as OpenAPI 3.1 uses it), so the document and the code cannot drift: every
 * response's status must be documented for its operation, with its media type, and a JSON body
 * must validate against the documented schema.
 *
 * @module
 */
import assert from "node:assert/strict";
import { Ajv2020 } from "ajv/dist/2020.js";

const DOC_ID = "https://facegate.invalid/openapi.json";

interface Operation {
  re: RegExp;
  path: string;
  method: string;
  pointer: string;
  responses: Record<string, { content?: Record<string, unknown> }>;
}

const escapePointer = (s: string) => s.replace(/~/g, "~0").replace(/\//g, "~1");

/** Validates responses against an OpenAPI 3.1 document. */
export class ContractChecker {
  readonly #ajv: Ajv2020;
  readonly #operations: Operation[] = [];
  /** Responses checked so far, by `METHOD path-template status`. */
  readonly checked: Map<string, number> = new Map();

  /** @param doc The OpenAPI document (as `/openapi.json` serves it). */
  constructor(doc: Record<string, unknown>) {
    this.#ajv = new Ajv2020({ strict: false, allErrors: true, validateFormats: false });
    this.#ajv.addSchema({ ...doc, $id: DOC_ID });
    const paths = doc.paths as Record<string, Record<string, Operation["responses"] & object>>;
    for (const [path, methods] of Object.entries(paths)) {
      const source = path.split("/").map((p) =>
        p.startsWith("{") ? "[^/]+" : p.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")
      ).join("/");
      for (const [method, op] of Object.entries(methods)) {
        this.#operations.push({
          re: new RegExp(`^${source}$`),
          path,
          method: method.toUpperCase(),
          pointer: `#/paths/${escapePointer(path)}/${method}`,
          responses: (op as unknown as { responses: Operation["responses"] }).responses,
        });
      }
    }
  }

  /**
   * Asserts that `res` (to `method url`) is documented and its JSON body valid. Reads a clone:
   * the caller may still read `res`.
   *
   * @throws {AssertionError} On an undocumented operation, status or media type, or an invalid body.
   */
  async check(method: string, url: string, res: Response): Promise<void> {
    const { pathname } = new URL(url);
    const m = method === "HEAD" ? "GET" : method;
    const op = this.#operations.find((o) => o.method === m && o.re.test(pathname));
    assert.ok(op, `${method} ${pathname} is not in the OpenAPI document`);
    const status = String(res.status);
    const response = op.responses[status];
    assert.ok(response, `${method} ${pathname}: status ${status} is not documented`);
    const key = `${m} ${op.path} ${status}`;
    this.checked.set(key, (this.checked.get(key) ?? 0) + 1);
    if (res.status === 204 || method === "HEAD") return;
    const type = (res.headers.get("content-type") ?? "").split(";")[0].trim();
    assert.ok(
      response.content && type in response.content,
      `${method} ${pathname} ${status}: media type ${type} is not documented`,
    );
    if (!type.endsWith("json")) return;
    const body = await res.clone().json();
    const ref = `${DOC_ID}${op.pointer}/responses/${status}/content/${escapePointer(type)}/schema`;
    const validate = this.#ajv.getSchema(ref);
    assert.ok(validate, `no schema at ${ref}`);
    const ok = validate(body);
    assert.ok(
      ok,
      `${method} ${pathname} ${status}: the body does not match the OpenAPI schema: ` +
        `${this.#ajv.errorsText(validate.errors)}\n${JSON.stringify(body).slice(0, 500)}`,
    );
  }

  /**
   * A `fetch` that checks every response with {@linkcode ContractChecker.check}.
   *
   * @returns A drop-in `fetch`.
   */
  fetch(): typeof fetch {
    return async (input: RequestInfo | URL, init?: RequestInit) => {
      const req = new Request(input, init);
      const res = await fetch(req);
      await this.check(req.method, req.url, res);
      return res;
    };
  }
}

/**
 * Fetches `${base}/openapi.json` and builds a {@linkcode ContractChecker}.
 *
 * @param base The server's base URL.
 */
export async function contractOf(base: string): Promise<ContractChecker> {
  const res = await fetch(`${base}/openapi.json`);
  assert.equal(res.status, 200);
  return new ContractChecker(await res.json());
}
