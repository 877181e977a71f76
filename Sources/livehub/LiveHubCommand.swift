import Auth
import ArgumentParser
import Glibc
import HTTPClient
import Hub
import LiveHubServer
import Logging
import Phones
import Reactor
import Records

@main
struct LiveHubCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "livehub",
        abstract: "A real-time hub: live presence, seller dashboards and wallet balances over WebSocket.",
        version: LiveHubVersion.current,
        subcommands: [Serve.self, Token.self, User.self, Snapshot.self])

    /// Every option can also come from the environment: `LIVEHUB_` and the option's name
    /// in capitals, `-` as `_` (`--max-message-size` ← `LIVEHUB_MAX_MESSAGE_SIZE`). An
    /// option given on the command line wins.
    static func argumentsWithEnvironment(_ arguments: [String], options: [String], flags: [String]) -> [String] {
        var result = arguments
        for name in options + flags {
            let key = "LIVEHUB_" + String(name.uppercased().map { $0 == "-" ? "_" : $0 })
            guard !arguments.contains(where: { $0 == "--\(name)" || $0.hasPrefix("--\(name)=") }),
                  let raw = getenv(key) else { continue }
            let value = String(cString: raw)
            if flags.contains(name) {
                if ["1", "true", "yes"].contains(value.lowercased()) { result.append("--\(name)") }
            } else {
                result += ["--\(name)", value]
            }
        }
        return result
    }

    static func main() {
        var arguments = Array(CommandLine.arguments.dropFirst())
        if arguments.first == "serve" {
            arguments = argumentsWithEnvironment(arguments, options: Serve.optionNames, flags: Serve.flagNames)
        } else if arguments.first == "user" || (arguments.first == "token" && arguments.dropFirst().first == "revoke") {
            arguments = argumentsWithEnvironment(arguments, options: ["data-dir", "database"], flags: [])
        } else if arguments.first == "token" {
            arguments = argumentsWithEnvironment(arguments, options: ["secret", "data-dir"], flags: [])
        }
        do {
            var command = try parseAsRoot(arguments)
            try command.run()
        } catch let failure as RuntimeFailure {
            // Permission, disk, address in use: the command line was right, so no usage text.
            FileHandleOutput.standardError("livehub: \(failure.message)")
            Glibc.exit(1)
        } catch {
            if exitCode(for: error) == .success || error is CleanExit || error is ExitCode {
                exit(withError: error)  // --help, --version, a command's own exit code
            }
            // A bad value: one line naming the flag and what it expects.
            let message = self.message(for: error).split(separator: "\n").first.map(String.init) ?? "\(error)"
            let command = arguments.first.flatMap { ["serve", "token", "user", "snapshot"].contains($0) ? " " + $0 : nil } ?? ""
            FileHandleOutput.standardError("livehub\(command): \(message) (see 'livehub\(command) --help')")
            Glibc.exit(64)
        }
    }
}

/// A failure while running, not of the command line: printed without the usage text, exit 1.
struct RuntimeFailure: Error {
    let message: String
}

enum FileHandleOutput {
    static func standardError(_ line: String) {
        let bytes = Array((line + "\n").utf8)
        _ = bytes.withUnsafeBytes { write(2, $0.baseAddress, $0.count) }
    }
}

struct Serve: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Run the hub.")
    /// The options and flags, as the command line spells them (`maxMessageSize` is
    /// `--max-message-size`), read from the declarations below: each may also come from
    /// the environment, and none can be forgotten in a list kept by hand.
    static let optionNames = declaredNames(flags: false)
    static let flagNames = declaredNames(flags: true)

    private static func declaredNames(flags: Bool) -> [String] {
        Mirror(reflecting: Serve()).children.compactMap { child in
            guard let label = child.label, label.hasPrefix("_") else { return nil }
            let isFlag = String(describing: type(of: child.value)).hasPrefix("Flag<")
            guard isFlag == flags else { return nil }
            var name = ""
            for character in label.dropFirst() {
                if character.isUppercase { name += "-" + character.lowercased() } else { name.append(character) }
            }
            return name
        }
    }

    @Option(help: "Address to listen on.") var host = "127.0.0.1"
    @Option(parsing: .unconditional, help: "Port to listen on (1-65535; 0: any free port).") var port = "8080"
    @Option(parsing: .unconditional, help: "Event loops (threads); default: one per CPU this process may use.") var loops: Int?
    @Option(parsing: .unconditional, help: "Largest WebSocket message (e.g. 64KiB, 1MiB, 16MiB).") var maxMessageSize = "1MiB"
    @Option(parsing: .unconditional, help: "Largest HTTP request body.") var maxBodySize = "1MiB"
    @Option(parsing: .unconditional, help: "Ping a WebSocket silent this long; close it if the pong does not come in as long again.") var pingInterval = "30s"
    @Flag(help: "Enable /ws/echo and /ws/broadcast (conformance suites and load tools).") var testEndpoints = false
    @Flag(help: "Refuse permessage-deflate (RFC 7692) offers.") var noCompression = false
    @Option(help: "PEM certificate chain: with --tls-key, the port speaks TLS (https, wss); SIGHUP reloads it.") var tlsCert: String?
    @Option(help: "PEM private key for --tls-cert.") var tlsKey: String?
    @Option(help: "Where the secret, snapshots and the SQLite records database (livehub.db) live.") var dataDir = "./data"
    @Option(help: "Key of the HS256 tokens (default: DATA/secret, made on first start). Flags show in ps: prefer --secret-file or LIVEHUB_SECRET.") var secret: String?
    @Option(help: "A file whose first line is --secret.") var secretFile: String?
    @Option(help: "API key for server APIs (Authorization: Bearer KEY); prefer --api-key-file or LIVEHUB_API_KEY.") var apiKey: String?
    @Option(help: "A file whose first line is the API key.") var apiKeyFile: String?
    @Option(parsing: .unconditional, help: "A session idle longer than this ends.") var idleTimeout = "30m"
    @Option(parsing: .unconditional, help: "How often idle sessions are swept.") var sweepInterval = "30s"
    @Option(parsing: .unconditional, help: "Sellers get at most one metrics update per interval.") var broadcastInterval = "250ms"
    @Option(help: "An origin whose pages may send beacons (repeatable; none: any).") var allowedOrigin: [String] = []
    @Option(help: "Folder with the dashboard, demo store and tracker (default: ./web, else web/ beside the executable).") var webRoot: String?
    @Option(parsing: .unconditional, help: "How often the whole hub is written to DATA/snapshot (and on shutdown).") var snapshotInterval = "30s"
    @Option(parsing: .unconditional, help: "A payment confirmed by the provider but not credited this long after is an activation gap.") var gapGrace = "5m"
    @Option(help: "The shop's currency (ISO 4217 code): a payment event with an amount and no currency is in it; reports show it first.") var currency = "USD"
    @Option(help: "Phone numbers written without +country are read in this region (ISO 3166 code such as KE, NG, US) and kept as E.164.") var defaultPhoneRegion: String?
    @Option(help: "Where people reach the hub, e.g. https://hub.example.com: the base of the links pushes carry and alerts cite.") var publicUrl: String?
    @Option(help: "What is logged to standard error while running: trace, debug, info, notice, warning, error or critical (each level and those after it).")
    var logLevel = "info"
    @Option(help: "Money durability: batch (writes that arrive together share one database transaction, committed before their answers leave) or always (a transaction per write).") var fsync = "batch"
    @Option(parsing: .unconditional, help: "A deduction above this amount raises an alert.") var alertLargeDeduction = "50.00"
    @Option(parsing: .unconditional, help: "Payment errors older than this are forgotten.") var errorRetention = "30d"
    @Option(parsing: .unconditional, help: "Activity events older than this are forgotten.") var activityRetention = "90d"
    @Option(parsing: .unconditional, help: "Ended sessions and their page visits are forgotten after this.") var sessionRetention = "24h"
    @Option(parsing: .unconditional, help: "Webhook deliveries keep their payload and headers this long (the row itself stays).") var webhookPayloadRetention = "30d"
    @Option(parsing: .unconditional, help: "Alerts older than this are forgotten (payments and the ledger are kept).") var alertRetention = "365d"
    @Option(help: "Where alerts are POSTed: a Discord or Slack incoming-webhook URL (http or https).") var alertWebhook: String?
    @Option(help: "Notices besides alerts, to the sellers and --alert-webhook: credited (a payment confirmed and credited, green), webhook-failures (a delivery that failed verification or processing, orange), both comma-separated, or none.")
    var notify = "credited,webhook-failures"
    @Option(help: "How much of a client's IP address is kept: truncate (IPv4 to /24, IPv6 to /48), full, or none (no address at all).")
    var ipPrivacy = "truncate"
    @Option(help: "Paystack secret key (x-paystack-signature, HMAC-SHA512 of the body).") var paystackSecret: String?
    @Option(help: "NOWPayments IPN secret (x-nowpayments-sig, HMAC-SHA512 of the key-sorted JSON).") var nowpaymentsSecret: String?
    @Option(help: "Stripe endpoint signing secret (Stripe-Signature).") var stripeSecret: String?
    @Option(help: "Secret path token of /api/webhooks/mpesa/{token}.") var mpesaToken: String?
    @Option(help: "A file whose first line is --paystack-secret.") var paystackSecretFile: String?
    @Option(help: "A file whose first line is --nowpayments-secret.") var nowpaymentsSecretFile: String?
    @Option(help: "A file whose first line is --stripe-secret.") var stripeSecretFile: String?
    @Option(help: "A file whose first line is --mpesa-token.") var mpesaTokenFile: String?
    @OptionGroup(title: "Providers' APIs (reconciliation)") var providers: ProviderOptions
    @OptionGroup(title: "Notifications to wallet users") var notifications: NotificationOptions
    @OptionGroup(title: "The shop's day (rollups)") var shopDay: ShopDayOptions
    @Option(parsing: .unconditional, help: "Beacons (HTTP and /ws/track messages) per client IP: 200/s, 6000/m.") var beaconRate = "200/s"
    @Option(parsing: .unconditional, help: "Beacons a client IP may send at once before --beacon-rate applies.") var beaconBurst = 2000
    @Option(parsing: .unconditional, help: "Provider webhook deliveries per client IP.") var webhookRate = "20/s"
    @Option(parsing: .unconditional, help: "Webhook deliveries a client IP may send at once.") var webhookBurst = 200
    @Option(help: "A proxy (CIDR, repeatable) whose X-Forwarded-For names the client, e.g. 127.0.0.1/32 for a local nginx.") var trustedProxy: [String] = []
    @Option(parsing: .unconditional, help: "Sessions kept in memory (live and recently ended); when full, the longest-ended go first, then new sessions are refused.") var maxSessions = 1_000_000
    @Option(parsing: .unconditional, help: "Distinct page types, categories and offers each listed in live-metrics; the rest count as \"other\".") var maxTrackedKeys = 100
    @Option(parsing: .unconditional, help: "Open client connections (default: a little below the descriptor limit).") var maxConnections: Int?
    @Option(name: .customLong("max-connections-per-ip"), parsing: .unconditional, help: "Open connections from one client address (a --trusted-proxy's: any number); 0: no cap.") var maxConnectionsPerIp = 0
    @Option(help: "The records database: sqlite (DATA/livehub.db) or postgres://user@host/db (several hubs on one database are a cluster).") var database = "sqlite"
    @Option(help: "With --database postgres://…: this node's name in the cluster (default: host:port).") var nodeId: String?
    @Option(parsing: .unconditional, help: "A read of the records database (stats, lists, logs) is stopped after this and answered 503 read_deadline.") var readDeadline = "2s"
    @Option(parsing: .unconditional, help: "Reads of payments, logs, lists, funnels and sessions per credential (API key, token, console session).") var readRate = "50/s"
    @Option(parsing: .unconditional, help: "Such reads a credential may make at once before --read-rate applies.") var readBurst = 100
    @Option(parsing: .unconditional, help: "Such reads a credential may have waiting for their answers at once.") var readsInFlight = 8
    @Option(help: "HOST:PORT where /metrics and the admin API (revocation, sign-in links, erasure, cleanup) are served instead of the public port, e.g. 127.0.0.1:9090.") var internalAddress: String?

    func run() throws {
        guard let level = Logger.Level(rawValue: logLevel) else {
            throw ValidationError("--log-level: expected trace, debug, info, notice, warning, error or critical, got \(logLevel)")
        }
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        var configuration = ServerConfiguration()
        configuration.host = host
        guard let portNumber = Int(port), (0...65535).contains(portNumber) else {
            throw ValidationError("--port: expected a port number from 1 to 65535 (0: any free port), got \(port)")
        }
        configuration.port = portNumber
        configuration.loops = loops ?? UsableCPUs.count()
        configuration.maxMessageSize = try Self.size(maxMessageSize, "--max-message-size")
        configuration.maxBodySize = try Self.size(maxBodySize, "--max-body-size")
        guard let ping = ConfigValue.duration(pingInterval), ping > .zero else {
            throw ValidationError("--ping-interval: expected a duration such as 250ms, 30s, 5m")
        }
        configuration.pingInterval = ping
        configuration.testEndpoints = testEndpoints
        configuration.compression.enabled = !noCompression
        guard (tlsCert == nil) == (tlsKey == nil) else { throw ValidationError("--tls-cert and --tls-key go together") }
        configuration.tlsCertificatePath = tlsCert
        configuration.tlsKeyPath = tlsKey
        configuration.idleTimeout = try Self.duration(idleTimeout, "--idle-timeout")
        configuration.sweepInterval = try Self.duration(sweepInterval, "--sweep-interval")
        configuration.broadcastInterval = try Self.duration(broadcastInterval, "--broadcast-interval")
        configuration.allowedOrigins = allowedOrigin
        configuration.apiKey = try Self.secret(apiKey, apiKeyFile, "--api-key") ?? ""
        configuration.dataDirectory = dataDir
        guard let records = RecordsDatabase(database, dataDirectory: dataDir) else {
            throw ValidationError("--database: expected sqlite or a postgres://user@host/db URL")
        }
        configuration.database = records
        if let nodeId {
            guard case .postgres = records else { throw ValidationError("--node-id: a cluster's nodes share a PostgreSQL database; add --database postgres://…") }
            guard (1...64).contains(nodeId.utf8.count), nodeId.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F }) else {
                throw ValidationError("--node-id: expected 1 to 64 printable characters without spaces, got \(nodeId)")
            }
            configuration.nodeID = nodeId
        }
        if let internalAddress {
            guard let colon = internalAddress.lastIndex(of: ":"), let port = Int(internalAddress[internalAddress.index(after: colon)...]),
                  (0...65535).contains(port), colon > internalAddress.startIndex else {
                throw ValidationError("--internal-address: expected HOST:PORT such as 127.0.0.1:9090, got \(internalAddress)")
            }
            let host = String(internalAddress[..<colon]).trimmingCharacters(in: "[]")
            configuration.internalAddress = (host, port)
        }
        configuration.readDeadline = try Self.duration(readDeadline, "--read-deadline")
        configuration.readRate = try Self.rate(readRate, readBurst, "--read-rate", "--read-burst")
        guard readsInFlight >= 1 else { throw ValidationError("--reads-in-flight: expected a positive number") }
        configuration.readsInFlight = readsInFlight
        configuration.snapshotInterval = try Self.duration(snapshotInterval, "--snapshot-interval")
        configuration.gapGrace = try Self.duration(gapGrace, "--gap-grace")
        guard let shopCurrency = Currency(code: currency) else { throw ValidationError("--currency: expected an ISO 4217 code such as USD, NGN or KES, got \(currency)") }
        configuration.currency = shopCurrency.code
        guard let phones = PhoneNormalizer(defaultRegion: defaultPhoneRegion) else {
            throw ValidationError("--default-phone-region: expected a region code libphonenumber knows, such as KE, NG or GB, got \(defaultPhoneRegion ?? "")")
        }
        configuration.phones = phones
        if let publicUrl {
            guard OutgoingURL(publicUrl)?.target == "/", 
                  // Letters, digits and what a base URL needs: nothing a chat or a page would read as markup.
                  publicUrl.utf8.allSatisfy({ $0 < 0x80 && (Character(Unicode.Scalar($0)).isLetter || Character(Unicode.Scalar($0)).isNumber || Array("-._~:/[]".utf8).contains($0)) }) else {
                throw ValidationError("--public-url: expected the hub's base URL, http(s)://host[:port] with no path, query or fragment, got \(publicUrl)")
            }
            configuration.publicURL = publicUrl.hasSuffix("/") ? String(publicUrl.dropLast()) : publicUrl
        }
        guard let policy = CommitPolicy(rawValue: fsync) else { throw ValidationError("--fsync: expected always or batch") }
        configuration.fsyncPolicy = policy
        guard let threshold = Money(decimal: alertLargeDeduction), threshold.minorUnits > 0 else {
            throw ValidationError("--alert-large-deduction: expected a positive amount such as 50.00")
        }
        configuration.alertLargeDeduction = threshold
        if let alertWebhook {
            guard OutgoingURL(alertWebhook) != nil else { throw ValidationError("--alert-webhook: expected an http:// or https:// URL") }
        }
        configuration.alertWebhook = alertWebhook
        let notices = notify == "none" ? [] : notify.split(separator: ",", omittingEmptySubsequences: false).map { String($0.filter { $0 != " " }) }
        guard notices.allSatisfy({ $0 == "credited" || $0 == "webhook-failures" }) else {
            throw ValidationError("--notify: expected credited, webhook-failures, both comma-separated, or none")
        }
        guard let privacy = IPPrivacy(rawValue: ipPrivacy) else { throw ValidationError("--ip-privacy: expected truncate, full or none") }
        configuration.ipPrivacy = privacy
        configuration.notifyCredited = notices.contains("credited")
        configuration.notifyWebhookFailures = notices.contains("webhook-failures")
        configuration.errorRetention = try Self.duration(errorRetention, "--error-retention")
        configuration.activityRetention = try Self.duration(activityRetention, "--activity-retention")
        configuration.sessionRetention = try Self.duration(sessionRetention, "--session-retention")
        configuration.webhookPayloadRetention = try Self.duration(webhookPayloadRetention, "--webhook-payload-retention")
        configuration.alertRetention = try Self.duration(alertRetention, "--alert-retention")
        configuration.paystackSecret = try Self.secret(paystackSecret, paystackSecretFile, "--paystack-secret")
        configuration.nowpaymentsSecret = try Self.secret(nowpaymentsSecret, nowpaymentsSecretFile, "--nowpayments-secret")
        configuration.stripeSecret = try Self.secret(stripeSecret, stripeSecretFile, "--stripe-secret")
        configuration.mpesaToken = try Self.secret(mpesaToken, mpesaTokenFile, "--mpesa-token")
        try providers.apply(to: &configuration.providerAPIs)
        try notifications.apply(to: &configuration.notifications)
        try notifications.apply(to: &configuration.email)
        try shopDay.apply(to: &configuration.shopDay)
        configuration.beaconRate = try Self.rate(beaconRate, beaconBurst, "--beacon-rate", "--beacon-burst")
        configuration.webhookRate = try Self.rate(webhookRate, webhookBurst, "--webhook-rate", "--webhook-burst")
        configuration.trustedProxies = try trustedProxy.map { text in
            guard let range = AddressRange(text) else { throw ValidationError("--trusted-proxy: expected an address or CIDR range such as 10.0.0.0/8 or ::1/128, got \(text)") }
            return range
        }
        guard maxSessions >= 1 else { throw ValidationError("--max-sessions: expected a positive number of sessions") }
        configuration.maxSessions = maxSessions
        guard (2...100_000).contains(maxTrackedKeys) else { throw ValidationError("--max-tracked-keys: expected 2 to 100000") }
        configuration.maxTrackedKeys = maxTrackedKeys
        if let maxConnections {
            guard maxConnections >= 1 else { throw ValidationError("--max-connections: expected a positive number") }
            configuration.maxConnections = maxConnections
        }
        guard maxConnectionsPerIp >= 0 else { throw ValidationError("--max-connections-per-ip: expected a number of connections (0: no cap)") }
        configuration.maxConnectionsPerAddress = maxConnectionsPerIp
        guard (1...4096).contains(configuration.loops) else { throw ValidationError("--loops: expected 1 to 4096") }
        if let webRoot {
            configuration.webRoot = webRoot
        } else if let found = WebRoot.find() {
            configuration.webRoot = found
        }
        let secretCreated: Bool
        SecretStore.ownerOnly()
        let cleanup = StartCleanup(directory: dataDir)
        if let secret = try Self.secret(secret, secretFile, "--secret"), !secret.isEmpty {
            configuration.secret = Array(secret.utf8)
            secretCreated = false
        } else {
            do {
                (configuration.secret, secretCreated) = try SecretStore.loadOrCreate(dataDirectory: dataDir)
            } catch {
                throw RuntimeFailure(message: "--data-dir \(dataDir): \(error)")
            }
        }
        // A data dir an earlier version made 0755 with 0644 files: the owner's alone now.
        SecretStore.tighten(dataDir)

        SignalSource.blockSignals()
        let server = LiveHubServer(configuration: configuration)
        do {
            try server.start(handleSignals: true)
        } catch let error as StartupError {
            cleanup.undo()
            throw RuntimeFailure(message: error.description)
        } catch {
            cleanup.undo()
            throw RuntimeFailure(message: "cannot listen on \(host):\(port): \(error)")
        }
        for note in server.startupNotes { print(note) }
        if access(configuration.webRoot + "/index.html", R_OK) == 0 {
            print("web: serving the dashboard, demo store and tracker from \(configuration.webRoot)")
        } else {
            print("WARNING: no dashboard files in \(webRoot ?? WebRoot.candidates().joined(separator: ", ")): / and /tracker.js will answer 404 (give --web-root)")
        }
        let scheme = tlsCert == nil ? "http" : "https"
        print("livehub listening on \(scheme)://\(host):\(server.port) (\(configuration.loops) event loops)")
        if let inside = configuration.internalAddress, let port = server.internalPort {
            print("internal: http://\(inside.host):\(port) (/metrics and the admin API)")
        }
        if secretCreated { print("created a new secret in \(dataDir)/secret") }
        let base = "\(scheme)://\(host == "0.0.0.0" ? "127.0.0.1" : host):\(server.port)"
        if server.operatorCount == 0, let code = try? FirstAdmin.link(database: configuration.database, dataDirectory: dataDir,
                                                                     secret: configuration.secret) {
            print("console: no operator yet. This link signs in the first admin, once, within 15 minutes (then add yours: livehub user add NAME --role admin):")
            print("console: \(base)/login#code=\(code)")
        } else {
            print("console: \(base)/login (livehub user add NAME --role admin adds an operator)")
        }
        print("demo store: \(base)/demo/")
        if testEndpoints { print("test endpoints on: ws://\(host):\(server.port)/ws/echo and /ws/broadcast") }
        fflush(nil)
        server.wait()
        print("livehub stopped")
    }

    /// A secret given as a flag (or its environment variable) or in a file, not both.
    static func secret(_ value: String?, _ file: String?, _ flag: String) throws -> String? {
        guard let file else { return value }
        guard value == nil else { throw ValidationError("\(flag) and \(flag)-file: give one of them") }
        do {
            return try SecretStore.readSecretFile(file)
        } catch {
            throw ValidationError("\(flag)-file: \(error)")
        }
    }

    static func duration(_ text: String, _ flag: String) throws -> Duration {
        if text.hasPrefix("-") { throw ValidationError("\(flag): a duration cannot be negative, got \(text)") }
        guard let value = ConfigValue.duration(text), value > .zero else {
            throw ValidationError("\(flag): expected a duration such as 250ms, 30s, 5m, 24h")
        }
        return value
    }

    static func rate(_ text: String, _ burst: Int, _ flag: String, _ burstFlag: String) throws -> RateLimiter.Rule {
        guard let perSecond = ConfigValue.rate(text), perSecond > 0 else {
            throw ValidationError("\(flag): expected a rate such as 200/s or 6000/m")
        }
        guard burst >= 1 else { throw ValidationError("\(burstFlag): expected a positive number") }
        return RateLimiter.Rule(ratePerSecond: perSecond, burst: Double(burst))
    }

    static func size(_ text: String, _ flag: String) throws -> Int {
        guard let value = ConfigValue.size(text), value > 0 else {
            throw ValidationError("\(flag): expected a size such as 64KiB, 1MiB or a number of bytes")
        }
        return value
    }
}

struct Snapshot: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Work with snapshot files.", subcommands: [Inspect.self])

    struct Inspect: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print what a snapshot holds (exit 1 if it is unusable).")
        @Argument(help: "The snapshot file, e.g. data/snapshot.") var file: String

        func run() throws {
            let snapshot: HubSnapshot
            do {
                snapshot = try SnapshotStore.read(file)
            } catch {
                print("\(file): UNUSABLE: \(error)")
                throw ExitCode(1)
            }
            print(SnapshotReport.describe(snapshot, file: file))
        }
    }
}
