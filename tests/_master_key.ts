/**
 * Master keys for tests: fixed, so a test can restart a server on the same store. Never use them
 * outside tests.
 *
 * @module
 */
import { MasterKeyring } from "../lib/store/mod.ts";

/** A test master key (base64 of 32 bytes). */
export const TEST_MASTER_KEY = "dGVzdC1tYXN0ZXIta2V5LWZhY2VnYXRlLTAwMDAwMDA=";

/** Another test master key, for "wrong key" and rotation cases. */
export const OTHER_MASTER_KEY = "b3RoZXItbWFzdGVyLWtleS1mYWNlZ2F0ZS0xMTExMTE=";

/** The keyring of {@linkcode TEST_MASTER_KEY} (or of `text`). */
export function testKeyring(text = TEST_MASTER_KEY): Promise<MasterKeyring> {
  return MasterKeyring.fromText(text);
}
