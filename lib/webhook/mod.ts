/**
 * The upload-service webhook's core: Standard Webhooks signatures (sign, verify, secrets), the
 * payload schema, and safe outbound fetching (host allowlist, address classes, redirects, size
 * cap, deadline). No HTTP framework here. Other folders import only this file.
 *
 * @module
 */

export * from "./webhook_secret.ts";
export * from "./sign_webhook.ts";
export * from "./verify_webhook.ts";
export * from "./classify_address.ts";
export * from "./is_allowed_host.ts";
export * from "./safe_fetch.ts";
export * from "./parse_upload_event.ts";
export * from "./webhook_config.ts";
