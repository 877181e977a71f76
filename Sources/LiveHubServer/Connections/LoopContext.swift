import Hub
import Reactor
import WebSocketDeflate

/// A connection the loop context keeps for timeouts and shutdown. A class rather than
/// a protocol so the context's list can track its position with a key path.
class ManagedConnection {
    /// Position in the loop context's list.
    var contextIndex = -1
    /// The client address this connection is counted under (`--max-connections-per-ip`).
    var addressKey: UInt64?

    /// Called about once a second with the loop's time: time-outs, pings.
    func tick(now: UInt64) {}
    /// The server is stopping: say goodbye (close 1001) and close.
    func beginShutdown() {}
}

/// What one event loop owns of the server: its connections, its share of each room, and
/// the listener. Confined to the loop's thread.
final class LoopContext {
    unowned let loop: EventLoop
    let shared: ServerShared
    var configuration: ServerConfiguration { shared.configuration }
    let router: Router
    let limits: ClientLimits
    /// This loop's server counters (the transport's are `loop.stats`).
    var counters: ServerCounters { shared.counters[loop.index] }
    private(set) var connections = IndexedList(position: \ManagedConnection.contextIndex)
    /// `/ws/broadcast` members on this loop.
    let broadcastRoom: Room
    /// `/ws/seller` members on this loop, and what they have been sent.
    let sellerRoom: SellerRoom
    /// `/ws/balance` sockets on this loop, a room per user.
    let balanceRooms: BalanceRooms
    /// The hub's services, on the loop that owns them (loop 0); nil elsewhere.
    var hub: HubServices?
    private(set) lazy var hubClient = HubClient(context: self)
    var listener: TCPListener?
    /// `--internal-address` (loop 0 only).
    var internalListener: TCPListener?
    private var shuttingDown = false
    /// One compressor per window size, shared by every connection of the loop.
    private var deflaters: [Int: Deflater] = [:]

    func deflater(windowBits: Int) -> Deflater {
        if let made = deflaters[windowBits] { return made }
        let compression = configuration.compression
        let made = Deflater(windowBits: windowBits, level: compression.compressionLevel, memoryLevel: compression.memoryLevel)
        deflaters[windowBits] = made
        return made
    }

    init(loop: EventLoop, shared: ServerShared) {
        self.loop = loop
        self.shared = shared
        self.limits = ClientLimits(configuration: shared.configuration, counters: shared.counters[loop.index])
        self.router = Router(shared: shared, limits: limits)
        let counters = shared.counters[loop.index]
        broadcastRoom = Room { counters.broadcastRoomMembers.store($0, ordering: .relaxed) }
        sellerRoom = SellerRoom(counters: counters)
        balanceRooms = BalanceRooms(counters: counters)
    }

    func deliverLocally(to name: RoomName, _ frame: RoomMessage, conflatable: Bool, except: WebSocketEndpointConnection?, errorsUpTo: Int64?) {
        switch name {
        case .broadcast: broadcastRoom.deliver(frame, except: except, conflatable: conflatable, context: self)
        case .seller: sellerRoom.deliver(frame, conflatable: conflatable, except: except, errorsUpTo: errorsUpTo, context: self)
        }
    }

    func add(_ connection: ManagedConnection) { connections.append(connection) }
    func remove(_ connection: ManagedConnection) {
        if let key = connection.addressKey { shared.connectionsPerAddress.leave(key) }
        connection.addressKey = nil
        connections.remove(connection)
    }
    /// Puts a WebSocket connection in the slot of the HTTP connection it upgraded from.
    func replace(_ old: ManagedConnection, with new: ManagedConnection) {
        new.addressKey = old.addressKey
        old.addressKey = nil
        connections.replace(old, with: new)
    }

    /// This loop's share of `--max-connections`.
    lazy var connectionLimit: Int = max(1, configuration.maxConnections / max(1, shared.handles.count))
    /// HTTP connections in the order they were accepted, while none of their requests has
    /// been answered: the first to go when the loop is at its limit (weak: a connection
    /// that closed is skipped).
    private var unserved: [Weak<HTTPConnection>] = []
    private var unservedHead = 0

    /// `internal`: from the `--internal-address` listener, where /metrics and the admin API are.
    func accept(_ tcp: TCPConnection, internal isInternal: Bool = false) {
        if shuttingDown {
            tcp.close()
            return
        }
        // One address holds at most `--max-connections-per-ip` (a trusted proxy's: any number).
        var addressKey: UInt64?
        if shared.connectionsPerAddress.isOn, let address = ClientAddress(Self.peerIP(tcp.peerAddress)),
           !configuration.trustedProxies.contains(where: { $0.contains(address) }) {
            guard shared.connectionsPerAddress.enter(address.rateKey) else {
                counters.connectionsPerAddressRefused.bump()
                refuse(tcp, APIError(.tooManyRequests, code: "too_many_connections_from_address",
                                     message: "this address has as many connections open as it may"))
                return
            }
            addressKey = address.rateKey
        }
        if connections.count >= connectionLimit && !shedUnserved() && !shedQuiet() {
            if let addressKey { shared.connectionsPerAddress.leave(addressKey) }
            // Every connection here is in use: the newcomer is the one refused.
            shared.counters[loop.index].connectionsShed.bump()
            refuse(tcp, APIError(.serviceUnavailable, code: "too_many_connections", message: "the server is at its connection limit"))
            return
        }
        let connection = HTTPConnection(tcp: tcp, context: self, internal: isInternal)
        connection.addressKey = addressKey
        tcp.delegate = connection
        add(connection)
        unserved.append(Weak(connection))
        if unservedHead > 1024 && unservedHead * 2 > unserved.count {
            unserved.removeFirst(unservedHead)
            unservedHead = 0
        }
    }

    /// A newcomer turned away: its answer is written as far as the socket takes it now,
    /// and the descriptor is given back at once (a refused client that does not read must
    /// not hold one).
    private func refuse(_ tcp: TCPConnection, _ error: APIError) {
        tcp.sendNowAndClose(OutboundBytes(error.response.serialize(keepAlive: false, always: SecurityHeaders.everyAnswer)))
    }

    /// At the limit: closes the oldest connection that has not had an answer yet (idle
    /// sockets opened to hold descriptors) if it is over `unservedFor` old (a client that
    /// just connected is on its way to asking), so a health check, a seller or a ledger
    /// write arriving now still gets in. False if there is none.
    private func shedUnserved() -> Bool {
        let now = loop.turnTime
        while unservedHead < unserved.count {
            guard let connection = unserved[unservedHead].value, !connection.hasBeenAnswered, !connection.tcp.isClosed else {
                unservedHead += 1
                continue
            }
            // One that has a request on its way is being served: skipped, and kept.
            guard !connection.isBeingServed else {
                unservedHead += 1
                continue
            }
            guard now - connection.acceptedAt >= Self.unservedFor else { return false }  // the rest came later
            unservedHead += 1
            shared.counters[loop.index].connectionsShed.bump()
            connection.tcp.close()
            return true
        }
        return false
    }

    /// Connections that went quiet (`HTTPConnection.quietSince`), in the order they did
    /// (weak; one that spoke again is skipped).
    private var quiet: [(connection: Weak<HTTPConnection>, since: UInt64)] = []
    private var quietHead = 0
    /// Unanswered this long since it was accepted, a connection may be shed at the limit.
    static let unservedFor: UInt64 = 100_000_000
    /// Quiet this long, a connection may be shed at the limit.
    static let quietFor: UInt64 = 500_000_000

    func noteQuiet(_ connection: HTTPConnection) {
        guard let since = connection.quietSince else { return }
        quiet.append((Weak(connection), since))
        if quietHead > 1024 && quietHead * 2 > quiet.count {
            quiet.removeFirst(quietHead)
            quietHead = 0
        }
    }

    /// At the limit, after the never-answered: closes the connection quiet the longest, if
    /// for over `quietFor`: a slow reader (slowhttptest -X: its answers sit unread in the
    /// kernel) or an idle keep-alive, holding a descriptor as an idle socket does, while a
    /// health check or a ledger write waits to get in. False if there is none.
    private func shedQuiet() -> Bool {
        let now = loop.turnTime
        while quietHead < quiet.count {
            let (entry, since) = quiet[quietHead]
            guard let connection = entry.value, !connection.tcp.isClosed, connection.quietSince == since else {
                quietHead += 1
                continue
            }
            guard now - since >= Self.quietFor else { return false }  // the rest went quiet later
            quietHead += 1
            shared.counters[loop.index].connectionsShed.bump()
            connection.tcp.close()
            return true
        }
        return false
    }

    /// The address part of `host:port` or `[v6]:port`.
    static func peerIP(_ address: String) -> String {
        guard let colon = address.lastIndex(of: ":") else { return address }
        return String(address[..<colon]).trimmingCharacters(in: "[]")
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
        for connection in connections.elements { connection.beginShutdown() }
        let deadline = EventLoop.now + configuration.closeTimeout.nanoseconds
        func check() {
            if connections.isEmpty || EventLoop.now >= deadline {
                // Last: the state as it is when the hub stops taking commands.
                hub?.stop()
                loop.stop()
                shared.contexts.remove(on: loop)
            } else {
                loop.schedule(afterNanoseconds: 20_000_000, check)
            }
        }
        check()
    }
}

/// A reference that does not keep its object alive.
struct Weak<Object: AnyObject> {
    weak var value: Object?

    init(_ value: Object) { self.value = value }
}
