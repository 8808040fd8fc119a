export { up, type Platform, type ServedApi, type UpOptions } from "./local.ts";
export { startNatsServer, LOCAL_MAX_PAYLOAD_BYTES, type NatsServer, type NatsServerOptions } from "./nats-server.ts";
export { listen, type Listener } from "./http.ts";
export { NatsStartError, PlatformConfigError } from "./errors.ts";
