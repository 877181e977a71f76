import Reactor

/// A connection the loop context keeps for timeouts and shutdown.
protocol ManagedConnection: AnyObject {
    var contextIndex: Int { get set }
    /// Called about once a second with the loop's time: time-outs, pings.
    func tick(now: UInt64)
    /// The server is stopping: say goodbye (close 1001) and close.
    func beginShutdown()
}

/// What one event loop owns of the server: its connections, its share of each room, and
/// the listener. Confined to the loop's thread.
final class LoopContext {
    unowned let loop: EventLoop
    let shared: ServerShared
    var configuration: ServerConfiguration { shared.configuration }
    let router: Router
    private(set) var connections: [ManagedConnection] = []
    /// `/ws/broadcast` members on this loop.
    let broadcastRoom = Room()
    var listener: TCPListener?
    private var shuttingDown = false

    init(loop: EventLoop, shared: ServerShared) {
        self.loop = loop
        self.shared = shared
        self.router = Router(shared: shared)
    }

    func add(_ connection: ManagedConnection) {
        connection.contextIndex = connections.count
        connections.append(connection)
    }

    func remove(_ connection: ManagedConnection) {
        let index = connection.contextIndex
        guard index >= 0, index < connections.count, connections[index] === connection else { return }
        let last = connections.removeLast()
        if index < connections.count {
            connections[index] = last
            last.contextIndex = index
        }
        connection.contextIndex = -1
    }

    /// Replaces `old` (an HTTP connection that upgraded) by `new` in the same slot.
    func replace(_ old: ManagedConnection, with new: ManagedConnection) {
        let index = old.contextIndex
        guard index >= 0, index < connections.count, connections[index] === old else { return add(new) }
        connections[index] = new
        new.contextIndex = index
        old.contextIndex = -1
    }

    func accept(_ tcp: TCPConnection) {
        if shuttingDown {
            tcp.close()
            return
        }
        let connection = HTTPConnection(tcp: tcp, context: self)
        tcp.delegate = connection
        add(connection)
    }

    func tick() {
        let now = loop.turnTime
        // Iterate backwards: a tick may close and remove its connection.
        var i = connections.count - 1
        while i >= 0 {
            if i < connections.count { connections[i].tick(now: now) }
            i -= 1
        }
    }

    /// Stops accepting, sends every connection its goodbye, and stops the loop once all
    /// are gone or the close timeout has passed.
    func beginShutdown() {
        guard !shuttingDown else { return }
        shuttingDown = true
        listener?.close()
        listener = nil
        for connection in connections { connection.beginShutdown() }
        let deadline = EventLoop.now + configuration.closeTimeout
        func check() {
            if connections.isEmpty || EventLoop.now >= deadline {
                loop.stop()
            } else {
                loop.schedule(afterNanoseconds: 20_000_000, check)
            }
        }
        check()
    }
}
