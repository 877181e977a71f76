// One socket that comes back by itself: jittered exponential back-off between tries, a
// fresh URL (so a fresh token) for each, and no tries while the browser says it is offline.
// What the socket means (which URL, what its messages do) is the caller's: `connectBalance`
// and `connectSeller` are both this plus their messages.

/** Where a connection is: `open` only once the hub has sent its first message (it accepted us). */
export type ConnectionState = "connecting" | "open" | "waiting" | "offline" | "closed";

export interface StateInfo {
  /** Tries since the last socket the hub accepted (0 on the first). */
  attempt: number;
  /** `waiting`: how long until the next try. */
  delayMs?: number;
  /** The close code and reason of the socket that ended, when one did. */
  code?: number;
  reason?: string;
  /** `open` after a reconnect: whether the socket resumed where the last left off. */
  recovered?: boolean;
}

export interface BackoffOptions {
  /** The first wait (ms), before jitter. Default 500. */
  initialMs?: number;
  /** The longest wait (ms). Default 30000. */
  maxMs?: number;
  /** Each failed try multiplies the wait by this. Default 2. */
  factor?: number;
  /** The share of the wait taken off at random (0..1). Default 0.5. */
  jitter?: number;
}

/** The part of the DOM's WebSocket this client uses (a fake one in tests). */
export interface SocketLike {
  send(data: string): void;
  close(code?: number, reason?: string): void;
  onopen: ((ev: unknown) => void) | null;
  onmessage: ((ev: { data: unknown }) => void) | null;
  onclose: ((ev: { code: number; reason: string }) => void) | null;
  onerror: ((ev: unknown) => void) | null;
}
export type SocketConstructor = new (url: string) => SocketLike;

interface EventSource {
  addEventListener(type: string, listener: () => void): void;
  removeEventListener(type: string, listener: () => void): void;
}

/** What the browser gives by default; tests pass their own. */
export interface Environment {
  WebSocket?: SocketConstructor;
  setTimeout?: (fn: () => void, ms: number) => unknown;
  clearTimeout?: (id: unknown) => void;
  random?: () => number;
  /** Where `online` and `offline` events come from (the window); null: none. */
  events?: EventSource | null;
  /** Whether the network is up (`navigator.onLine`; true where nothing says). */
  isOnline?: () => boolean;
}

/**
 * The wait before try `attempt` (0-based): `initial * factor^attempt`, capped, less a random
 * share. The jitter spreads the pages that all lost the hub at one moment (a restart), so
 * they do not all come back in the same instant.
 */
export function backoffDelay(attempt: number, options: BackoffOptions = {}, random: () => number = Math.random): number {
  const initial = options.initialMs ?? 500, max = options.maxMs ?? 30000;
  const factor = options.factor ?? 2, jitter = Math.min(1, Math.max(0, options.jitter ?? 0.5));
  const ceiling = Math.min(max, initial * Math.pow(factor, attempt));
  return Math.round(ceiling * (1 - jitter * random()));
}

/** What a socket kind does at each step. */
export interface SocketHandlers {
  /** The URL of the next try (may await a fresh token; a throw counts as a failed try). */
  url(): string | Promise<string>;
  /** The socket opened: send what the hub needs first (the auth message). */
  opened(socket: SocketLike): void | Promise<void>;
  /** A message, parsed; `first`: the first of this socket. */
  message(message: unknown, first: boolean): void;
  state(state: ConnectionState, info: StateInfo): void;
}

export class Reconnector {
  private socket: SocketLike | null = null;
  private timer: unknown = null;
  private attempt = 0;
  /** Bumped by each try: a try still awaiting its token when another began gives up. */
  private generation = 0;
  private current: ConnectionState = "connecting";
  private readonly env: Required<Omit<Environment, "events">> & { events: EventSource | null };

  constructor(private readonly handlers: SocketHandlers, private readonly backoff: BackoffOptions = {}, env: Environment = {}) {
    const g = globalThis as unknown as { WebSocket?: SocketConstructor; navigator?: { onLine?: boolean }; addEventListener?: unknown };
    this.env = {
      WebSocket: env.WebSocket ?? (g.WebSocket as SocketConstructor),
      setTimeout: env.setTimeout ?? ((fn, ms) => globalThis.setTimeout(fn, ms)),
      clearTimeout: env.clearTimeout ?? ((id) => globalThis.clearTimeout(id as ReturnType<typeof globalThis.setTimeout>)),
      random: env.random ?? Math.random,
      events: env.events !== undefined ? env.events : (typeof g.addEventListener === "function" ? (globalThis as unknown as EventSource) : null),
      isOnline: env.isOnline ?? (() => g.navigator?.onLine !== false),
    };
    if (!this.env.WebSocket) throw new Error("LiveHub: no WebSocket here (pass one in options.WebSocket)");
    this.env.events?.addEventListener("online", this.wentOnline);
    this.env.events?.addEventListener("offline", this.wentOffline);
  }

  get state(): ConnectionState { return this.current; }

  start(): void { void this.connect(); }

  /** Ends for good: no more tries, the socket closed normally. */
  close(): void {
    if (this.current === "closed") return;
    this.cancelTimer();
    this.env.events?.removeEventListener("online", this.wentOnline);
    this.env.events?.removeEventListener("offline", this.wentOffline);
    const socket = this.socket;
    this.socket = null;
    this.setState("closed", { attempt: this.attempt });
    socket?.close(1000, "closed by the page");
  }

  /** Drops the socket and tries again at once (the client found it must re-read, say a gap). */
  restart(reason: string): void {
    if (this.current === "closed") return;
    const socket = this.socket;
    this.socket = null;
    socket?.close(4000, reason);
    this.cancelTimer();
    void this.connect();
  }

  private setState(state: ConnectionState, info: StateInfo): void {
    this.current = state;
    this.handlers.state(state, info);
  }

  private async connect(): Promise<void> {
    if (this.current === "closed") return;
    if (!this.env.isOnline()) { this.setState("offline", { attempt: this.attempt }); return; }
    const generation = ++this.generation;
    this.setState("connecting", { attempt: this.attempt });
    let url: string;
    try {
      url = await this.handlers.url();
    } catch (e) {
      if (generation === this.generation && this.current === "connecting") this.retry({ reason: "token: " + String(e) });
      return;
    }
    // Closed, gone offline or begun again while the token came.
    if (generation !== this.generation || this.current !== "connecting") return;
    let socket: SocketLike;
    try {
      socket = new this.env.WebSocket(url);
    } catch (e) {
      this.retry({ reason: String(e) });
      return;
    }
    this.socket = socket;
    let first = true;
    // Every handler checks the socket is still the current one: a late event of a socket
    // already replaced must not touch the new one's state.
    socket.onopen = () => {
      if (this.socket !== socket) return;
      Promise.resolve(this.handlers.opened(socket)).catch((e) => { if (this.socket === socket) socket.close(4001, String(e)); });
    };
    socket.onmessage = (ev) => {
      if (this.socket !== socket || typeof ev.data !== "string") return;
      let message: unknown;
      try { message = JSON.parse(ev.data); } catch { return; }  // not ours: the hub sends JSON only
      const wasFirst = first;
      if (first) {
        first = false;
        // The hub accepted this socket: the next failure starts the back-off from the start.
        this.attempt = 0;
        this.setState("open", { attempt: 0 });
      }
      this.handlers.message(message, wasFirst);
    };
    socket.onclose = (ev) => {
      if (this.socket !== socket) return;
      this.socket = null;
      this.retry({ code: ev.code, reason: ev.reason });
    };
    socket.onerror = () => { /* onclose follows and decides */ };
  }

  private retry(why: { code?: number; reason?: string }): void {
    if (this.current === "closed") return;
    if (!this.env.isOnline()) { this.setState("offline", { attempt: this.attempt, ...why }); return; }
    const delayMs = backoffDelay(this.attempt, this.backoff, this.env.random);
    this.attempt += 1;
    this.setState("waiting", { attempt: this.attempt, delayMs, ...why });
    this.cancelTimer();
    this.timer = this.env.setTimeout(() => { this.timer = null; void this.connect(); }, delayMs);
  }

  private cancelTimer(): void {
    if (this.timer !== null) this.env.clearTimeout(this.timer);
    this.timer = null;
  }

  /** Back online: try now rather than at the end of a wait that was counting failures. */
  private readonly wentOnline = (): void => {
    if (this.current !== "offline" && this.current !== "waiting") return;
    this.cancelTimer();
    this.attempt = 0;
    void this.connect();
  };

  /** A socket can take minutes to notice its network is gone: the browser knows sooner. */
  private readonly wentOffline = (): void => {
    if (this.current === "closed") return;
    this.cancelTimer();
    const socket = this.socket;
    this.socket = null;
    socket?.close(1000, "offline");
    this.setState("offline", { attempt: this.attempt });
  };
}

/** `http(s)://host` or `ws(s)://host` (with or without a path) and a socket's path → a ws URL. */
export function socketURL(base: string, path: string, query: Record<string, string | number | undefined>): string {
  const url = new URL(path, base);
  url.protocol = url.protocol === "https:" || url.protocol === "wss:" ? "wss:" : "ws:";
  for (const [key, value] of Object.entries(query)) if (value !== undefined) url.searchParams.set(key, String(value));
  return url.toString();
}
