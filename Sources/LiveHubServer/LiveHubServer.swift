import Glibc
import Reactor

/// The server: N event loops sharing one port, each with its own listener (SO_REUSEPORT),
/// connections and room shares.
public final class LiveHubServer {
    public let configuration: ServerConfiguration
    private var group: ReactorGroup?
    private var shared: ServerShared?
    /// The port actually bound (differs from the configuration's when that is 0).
    public private(set) var port = 0

    public init(configuration: ServerConfiguration) {
        self.configuration = configuration
    }

    /// Binds, starts the loops, and returns. With `handleSignals`, SIGINT/SIGTERM start a
    /// clean shutdown (close 1001 to every WebSocket) and SIGPIPE is ignored; call
    /// `SignalSource.blockSignals()` first, from the main thread.
    public func start(handleSignals: Bool = false) throws(SystemError) {
        let loopCount = max(1, configuration.loops)
        // Bind every listener here, so a port in use fails `start` and port 0 gives one
        // port shared by every loop.
        var fds: [Int32] = []
        let first = try TCPListener.bind(host: configuration.host, port: configuration.port)
        fds.append(first.fd)
        for _ in 1..<loopCount {
            fds.append(try TCPListener.bind(host: configuration.host, port: first.port).fd)
        }
        port = first.port
        let listenerFDs = fds
        let group = try ReactorGroup(loops: loopCount)
        let shared = ServerShared(configuration: configuration, handles: group.handles, stats: group.stats)
        self.group = group
        self.shared = shared
        try group.start { loop in
            let context = LoopContext(loop: loop, shared: shared)
            loop.context = context
            if loop.index == 0 { context.hubService = HubService(context: context, clock: SystemClock()) }
            do {
                context.listener = try TCPListener(fd: listenerFDs[loop.index], loop: loop) { [unowned context] tcp in
                    context.accept(tcp)
                }
                if handleSignals && loop.index == 0 {
                    _ = try SignalSource(loop: loop) { signal in
                        if signal == SIGINT || signal == SIGTERM { Self.beginShutdown(shared) }
                    }
                }
            } catch {
                fatalError("loop \(loop.index) could not start: \(error)")
            }
            loop.scheduleRepeating(everyNanoseconds: 1_000_000_000) { [unowned context] in
                context.tick()
            }
        }
    }

    /// Starts a clean shutdown; safe from any thread. `wait()` returns once it is done.
    public func shutdown() {
        if let shared { Self.beginShutdown(shared) }
    }

    private static func beginShutdown(_ shared: ServerShared) {
        for handle in shared.handles {
            handle.execute { loop in (loop.context as? LoopContext)?.beginShutdown() }
        }
    }

    /// Blocks until every loop has stopped.
    public func wait() {
        group?.join()
    }
}
