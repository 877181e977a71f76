import Auth
import Cluster
import Glibc
import Hub
import LegacyImport
import Logging
import Money
import Records
import Reactor

/// Hands loop-confined objects, built before the loops start, to the one loop that will
/// own them; nothing else touches them afterwards.
struct UncheckedTransfer<Value>: @unchecked Sendable {
    let value: Value
    init(_ value: Value) { self.value = value }
}

/// Why the server would not start.
public struct StartupError: Error, CustomStringConvertible {
    public let description: String
}

/// The server: N event loops sharing one port, each with its own listener (SO_REUSEPORT),
/// connections and room shares.
public final class LiveHubServer {
    public let configuration: ServerConfiguration
    private var group: ReactorGroup?
    private var shared: ServerShared?
    /// The port actually bound (differs from the configuration's when that is 0).
    public private(set) var port = 0
    /// What start-up found worth telling the operator (snapshot loaded, recovered…).
    public private(set) var startupNotes: [String] = []
    /// The internal listener's port (`--internal-address`), once started.
    public private(set) var internalPort: Int?
    /// Operators with a password at start (none: `serve` offers a first admin's link).
    public private(set) var operatorCount = 0

    /// Held while the server runs: one hub per data dir.
    private var dataLock: DataDirectoryLock?

    public init(configuration: ServerConfiguration) {
        self.configuration = configuration
    }

    /// Binds, starts the loops, and returns. With `handleSignals`, SIGINT/SIGTERM start a
    /// clean shutdown (close 1001 to every WebSocket) and SIGPIPE is ignored; call
    /// `SignalSource.blockSignals()` first, from the main thread.
    public func start(handleSignals: Bool = false) throws {
        do {
            try SecretStore.makeDirectory(configuration.dataDirectory)
        } catch {
            throw StartupError(description: "--data-dir \(configuration.dataDirectory): \(error)")
        }
        do {
            dataLock = try DataDirectoryLock(directory: configuration.dataDirectory)
        } catch {
            throw StartupError(description: error.description)
        }
        let store = SnapshotStore(directory: configuration.dataDirectory)
        var restored: HubSnapshot?
        switch store.load() {
        case .empty:
            break
        case .loaded(let snapshot, let path):
            restored = snapshot
            startupNotes.append("loaded \(path): \(snapshot.sessions.count) sessions, \(snapshot.paymentErrors.count) payment errors")
        case .recovered(let snapshot, let problem, let movedTo):
            restored = snapshot
            startupNotes.append("WARNING: \(store.path) is unusable (\(problem)); moved it to \(movedTo) and loaded \(store.previousPath): \(snapshot.sessions.count) sessions")
        case .unusable(let problem, let previousProblem):
            throw StartupError(description: "\(store.path) is unusable (\(problem)) and so is \(store.previousPath) (\(previousProblem)). "
                + "Refusing to start with an empty hub: move the files away to start empty, or restore a good snapshot.")
        }
        // The records database holds the money. A data dir from before it did (money in
        // the snapshot, and the journal) is taken in first, once (`LegacyImport`).
        let recordsStore: RecordsStore
        let database = configuration.database ?? .sqlite(path: configuration.dataDirectory + "/livehub.db")
        do {
            recordsStore = try database.open()
            startupNotes += try JournalEraImport.run(dataDirectory: configuration.dataDirectory, restored: restored,
                                                     snapshotStore: store, records: recordsStore)
            let counts = try recordsStore.counts()
            startupNotes.append("money: \(counts.transactions) transactions, \(counts.payments) payments in \(recordsStore.name)")
        } catch {
            throw StartupError(description: "records database: \(error)")
        }
        if case .postgres = database {
            // One token key for the whole cluster: a node with another would refuse the
            // others' tokens and record erasures no other node could match.
            let fingerprint = HMAC.hex(HMAC.sha256(key: configuration.secret, message: Array("livehub cluster key".utf8)))
            do {
                guard try recordsStore.firstValue(of: "token_key_fingerprint", offering: fingerprint) == fingerprint else {
                    throw StartupError(description: "--secret: the other nodes of this cluster (\(recordsStore.name)) use another token key; "
                        + "give every node the same --secret or DATA/secret")
                }
            } catch let error as StartupError {
                throw error
            } catch {
                throw StartupError(description: "records database: \(error)")
            }
        }
        var purgeSnapshot = false
        if case .postgres = database, var snapshot = restored {
            // Erasures made on other nodes while this one was down (a minute's margin for
            // the nodes' clocks).
            do {
                let dropped = SnapshotErasures.apply(try recordsStore.erasedKeyHashes(since: snapshot.savedAt - 60_000), to: &snapshot,
                                                     secret: configuration.secret)
                if dropped.sessions + dropped.paymentErrors > 0 {
                    restored = snapshot
                    purgeSnapshot = true
                    startupNotes.append("erased while this node was away: \(dropped.sessions) sessions, \(dropped.paymentErrors) payment errors (dropped from the snapshot)")
                }
            } catch {
                throw StartupError(description: "records database: \(error)")
            }
        }
        let snapshotToRestore = restored, purgeSnapshotAtStart = purgeSnapshot
        var tls: TLSContext?
        if let certificate = configuration.tlsCertificatePath, let key = configuration.tlsKeyPath {
            do {
                tls = try TLSContext(certificatePath: certificate, keyPath: key,
                                     plaintextAnswer: APIError.tlsRequired.response.serialize(keepAlive: false))
            } catch {
                throw StartupError(description: "TLS: \(error)")
            }
        }
        let tlsContext = tls
        let loopCount = max(1, configuration.loops)
        var configuration = configuration
        if configuration.maxConnections <= 0 {
            // A little below the descriptor limit: files, the database and outgoing alert
            // connections need some too.
            var limit = rlimit()
            getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
            let descriptors = limit.rlim_cur > 1 << 20 ? 1 << 20 : Int(limit.rlim_cur)
            configuration.maxConnections = max(16, descriptors - 64 - 8 * loopCount)
        }
        // Bind every listener here, so a port in use fails `start` and port 0 gives one
        // port shared by every loop.
        var fds: [Int32] = []
        if configuration.port != 0 {
            do {
                try TCPListener.ensureFree(host: configuration.host, port: configuration.port)
            } catch {
                throw StartupError(description: "cannot listen on \(configuration.host):\(configuration.port): \(error.errno == EADDRINUSE ? "the address is in use (another livehub or another server holds it)" : "\(error)")")
            }
        }
        let first = try TCPListener.bind(host: configuration.host, port: configuration.port)
        fds.append(first.fd)
        for _ in 1..<loopCount {
            fds.append(try TCPListener.bind(host: configuration.host, port: first.port).fd)
        }
        port = first.port
        let listenerFDs = fds
        // `--internal-address`: /metrics and the admin API on a listener of their own (loop 0).
        var boundInternal: Int32?
        if let inside = configuration.internalAddress {
            do {
                let bound = try TCPListener.bind(host: inside.host, port: inside.port)
                boundInternal = bound.fd
                internalPort = bound.port
            } catch {
                throw StartupError(description: "cannot listen on \(inside.host):\(inside.port) (--internal-address): \(error)")
            }
        }
        let internalFD = boundInternal
        // Cluster mode's name for this node: known once the port is.
        let nodeID = configuration.nodeID ?? "\(configuration.host):\(port)"
        let effects = MoneyEffects()
        var engineConfiguration = MoneyEngine.Configuration()
        engineConfiguration.commitPolicy = configuration.fsyncPolicy
        engineConfiguration.gapGrace = configuration.gapGrace.milliseconds
        engineConfiguration.reconcileAfter = configuration.providerAPIs.reconcileAfter.milliseconds
        engineConfiguration.notifications = configuration.notifications
        engineConfiguration.notifications.emailDigest = configuration.email.digestMilliseconds
        engineConfiguration.alertRules.largeDeduction = configuration.alertLargeDeduction
        engineConfiguration.deliversAlerts = configuration.alertWebhook != nil
        engineConfiguration.alertRules.notifyCredited = configuration.notifyCredited
        engineConfiguration.alertRules.notifyWebhookFailures = configuration.notifyWebhookFailures
        engineConfiguration.activityRetention = configuration.activityRetention.milliseconds
        engineConfiguration.paymentErrorRetention = configuration.errorRetention.milliseconds
        engineConfiguration.webhookPayloadRetention = configuration.webhookPayloadRetention.milliseconds
        engineConfiguration.alertRetention = configuration.alertRetention.milliseconds
        if case .postgres = configuration.database { engineConfiguration.announcer = nodeID }
        let money: MoneyEngine
        do {
            money = try MoneyEngine(store: recordsStore, clock: SystemClock(), configuration: engineConfiguration) { effects.deliver($0) }
        } catch {
            throw StartupError(description: "records database: \(error)")
        }
        // Reads on connections of their own: none holds the writer's thread.
        do {
            var readerConfiguration = MoneyReaders.Configuration()
            readerConfiguration.deadline = configuration.readDeadline.milliseconds
            // Half the cores at most: the loops and the money writer keep the rest, however
            // many reads there are.
            readerConfiguration.readers = max(1, loopCount / 2)
            money.attach(readers: try MoneyReaders(database: database, clock: SystemClock(), configuration: readerConfiguration))
        } catch {
            throw StartupError(description: "records database: \(error)")
        }
        // The console's accounts: their own thread and connection; every revocation any node
        // recorded is read before the first request is answered.
        let accounts = ConsoleAccounts(secret: configuration.secret, revocations: Revocations())
        do {
            try accounts.start(database: database)
            operatorCount = try recordsStore.operatorsWithPassword()
        } catch {
            throw StartupError(description: "records database: \(error)")
        }
        let group = try ReactorGroup(loops: loopCount)
        let shared = ServerShared(configuration: configuration, handles: group.handles, stats: group.stats, money: money, accounts: accounts)
        effects.shared = shared
        self.group = group
        self.shared = shared
        let cluster = clusterLink(configuration, nodeID: nodeID, shared: shared, money: money)
        try group.start { loop in
            let context = LoopContext(loop: loop, shared: shared)
            context.sellerRoom.errorsUpTo = (snapshotToRestore?.nextErrorID ?? 1) - 1
            shared.contexts.install(context)
            if loop.index == 0 {
                let services = HubServices(context: context, clock: SystemClock(), restoring: snapshotToRestore, store: store, money: money)
                context.hub = services
                money.start()
                do {
                    try shared.reconcile.start(settings: shared.configuration.providerAPIs, paystackSecret: shared.configuration.paystackSecret,
                                               money: money, clock: SystemClock())
                } catch {
                    ServerLog.logger.error("reconciliation not started", metadata: ["error": "\(error)"])
                }
                do {
                    try shared.email.start(settings: shared.configuration.email, money: money, publicURL: shared.configuration.publicURL)
                } catch {
                    ServerLog.logger.error("notification emails not started", metadata: ["error": "\(error)"])
                }
                if let cluster { services.cluster.join(cluster) }
                if purgeSnapshotAtStart { services.erasures.rewriteSnapshotWithoutPrevious() }
            }
            do {
                context.listener = try TCPListener(fd: listenerFDs[loop.index], loop: loop, tls: tlsContext) { [unowned context] tcp in
                    context.accept(tcp)
                }
                if loop.index == 0, let internalFD {
                    context.internalListener = try TCPListener(fd: internalFD, loop: loop, tls: nil) { [unowned context] tcp in
                        context.accept(tcp, internal: true)
                    }
                }
                if handleSignals && loop.index == 0 {
                    _ = try SignalSource(loop: loop) { signal in
                        if signal == SIGINT || signal == SIGTERM { Self.beginShutdown(shared) }
                        if signal == SIGHUP, let tlsContext {
                            // New connections get the renewed certificate; open ones keep theirs.
                            do {
                                try tlsContext.reload()
                                ServerLog.logger.notice("certificate reloaded", metadata: ["file": "\(tlsContext.certificatePath)"])
                            } catch {
                                ServerLog.logger.error("certificate reload failed, keeping the old one", metadata: ["error": "\(error)"])
                            }
                        }
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

    /// Cluster mode: this node's presence shared through the database, and what the other
    /// nodes announce (their presence, balances, problems, alerts) handed to this one's loops
    /// and money engine.
    private func clusterLink(_ configuration: ServerConfiguration, nodeID: String, shared: ServerShared, money: MoneyEngine) -> ClusterLink? {
        guard case .postgres(let url) = configuration.database else { return nil }
        let interval = configuration.broadcastInterval.milliseconds
        var settings = ClusterLink.Configuration(nodeID: nodeID, interval: interval, freshness: max(8 * interval, 2000),
                                                 maxKeys: configuration.maxTrackedKeys)
        settings.idleTimeout = configuration.idleTimeout.milliseconds
        startupNotes.append("cluster node \(nodeID): presence shared with the other nodes through the records database")
        let inbox = shared.hubInbox, handles = shared.handles, contexts = shared.contexts
        let handlers = ClusterLink.Handlers(
            othersChanged: { others in inbox.cluster(.othersChanged(others)) },
            balances: { notices in
                money.walletsMoved(notices.map { ($0.userId, $0.seq) })
                for handle in handles {
                    handle.execute { loop in
                        guard let rooms = contexts[loop]?.balanceRooms else { return }
                        for notice in notices { rooms.announced(userId: notice.userId, seq: notice.seq) }
                    }
                }
            },
            news: { problems, alertIDs, paymentErrors in
                money.submit(ReadNewsFromElsewhere(problems: problems, alertIDs: alertIDs, paymentErrors: paymentErrors))
            },
            erased: { key in inbox.erasures(.erasedElsewhere(key)) },
            released: { sessions, written in inbox.cluster(.released(sessions, claimsWritten: written)) },
            minutes: { minutes in inbox.cluster(.minutes(minutes)) },
            asked: { questions in inbox.cluster(.asked(questions)) },
            answered: { answers in inbox.cluster(.answered(answers)) },
            reconnected: {
                inbox.cluster(.reconnected)
                for handle in handles { handle.execute { loop in contexts[loop]?.balanceRooms.catchUpAll() } }
                // Problems and payment errors are read again (alerts missed meanwhile stay
                // in the alerts list; they are not announced late).
                money.submit(ReadNewsFromElsewhere(problems: true, alertIDs: [], paymentErrors: true))
            })
        return ClusterLink(configuration: settings, handlers: handlers) { node in PostgresClusterBroker(databaseURL: url, node: node) }
    }

    /// Starts a clean shutdown; safe from any thread. `wait()` returns once it is done.
    public func shutdown() {
        if let shared { Self.beginShutdown(shared) }
    }

    private static func beginShutdown(_ shared: ServerShared) {
        let contexts = shared.contexts
        for handle in shared.handles {
            handle.execute { loop in contexts[loop]?.beginShutdown() }
        }
    }

    /// Blocks until every loop has stopped.
    public func wait() {
        group?.join()
        shared?.reconcile.stop()
        shared?.email.stop()
    }
}
