import ArgumentParser
import Auth
import Glibc
import Hub
import LiveHubServer
import Records

/// Where the `user` and `token revoke` commands find the records database: the hub's own
/// options, so the same values name the same database.
struct RecordsLocation: ParsableArguments {
    @Option(help: "Where the hub keeps its data (SQLite: DATA/livehub.db).") var dataDir = "./data"
    @Option(help: "The records database: sqlite or postgres://user@host/db, as given to serve.") var database = "sqlite"

    func open() throws -> RecordsStore {
        SecretStore.ownerOnly()
        guard let location = RecordsDatabase(database, dataDirectory: dataDir) else {
            throw ValidationError("--database: expected sqlite or a postgres://user@host/db URL")
        }
        if case .sqlite(let path) = location, access(path, F_OK) != 0 {
            // Operators may be added before the hub's first start: the data dir is made as the hub makes it.
            do { try SecretStore.makeDirectory(dataDir) } catch { throw RuntimeFailure(message: "--data-dir \(dataDir): \(error)") }
            FileHandleOutput.standardError("livehub: a new records database at \(path)")
        }
        do {
            return try location.open()
        } catch {
            throw RuntimeFailure(message: "records database: \(error)")
        }
    }
}

/// `livehub user …`: the console's operators, kept in the records database.
struct User: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Add, list, disable, enable or reset the console's operators.",
                                                    subcommands: [Add.self, List.self, Disable.self, Enable.self, Reset.self])

    static let roles = ["seller", "support", "admin"]

    /// A new password: one line on standard input with `--password-stdin`, else asked at
    /// the terminal without echo.
    static func readPassword(fromStdin: Bool) throws -> String {
        var password: String
        if fromStdin {
            password = readLine(strippingNewline: true) ?? ""
        } else {
            guard isatty(0) == 1, let typed = getpass("password: ") else {
                throw ValidationError("--password-stdin: give the password on standard input (no terminal to ask at)")
            }
            password = String(cString: typed)
        }
        password = password.trimmingCharacters(in: "\r")
        guard password.count >= PasswordHash.minimumLength, password.utf8.count <= PasswordHash.maximumLength else {
            throw ValidationError("the password: expected \(PasswordHash.minimumLength) to \(PasswordHash.maximumLength) characters")
        }
        return password
    }

    static func audit(_ store: RecordsStore, _ action: String, _ name: String, detail: String? = nil) throws {
        do {
            try store.appendAudit(AuditEntry(at: UnixTime.seconds * 1000, actor: "cli", action: action, target: name, detail: detail))
        } catch {
            throw RuntimeFailure(message: "records database: \(error)")
        }
    }

    static func checkedName(_ name: String) throws -> String {
        guard OperatorName.isValid(name) else {
            throw ValidationError("NAME: expected 1 to \(OperatorName.maxLength) letters, digits, '.', '_', '@' or '-', got \(name)")
        }
        return name
    }

    struct Add: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Add an operator with a password.")
        @Argument(help: "The operator's name.") var name: String
        @Option(help: "seller, support or admin.") var role: String
        @Flag(help: "Read the password from standard input (one line).") var passwordStdin = false
        @OptionGroup var location: RecordsLocation

        func run() throws {
            let name = try User.checkedName(name)
            guard User.roles.contains(role) else { throw ValidationError("--role: expected seller, support or admin, got \(role)") }
            let hash = PasswordHash.hash(try User.readPassword(fromStdin: passwordStdin))
            let store = try location.open()
            let now = UnixTime.seconds * 1000
            let added: Bool
            do {
                added = try store.addOperator(Operator(name: name, role: role, passwordHash: hash, disabled: false, createdAt: now), at: now)
            } catch {
                throw RuntimeFailure(message: "records database: \(error)")
            }
            guard added else { throw RuntimeFailure(message: "\(name) exists already (livehub user reset \(name) sets a new password)") }
            try User.audit(store, "user_add", name, detail: "role \(role)")
            print("added \(name) (\(role))")
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the operators.")
        @OptionGroup var location: RecordsLocation

        func run() throws {
            let store = try location.open()
            let all: [Operator]
            do { all = try store.operators() } catch { throw RuntimeFailure(message: "records database: \(error)") }
            for op in all {
                print("\(op.name)\t\(op.role)\t\(op.disabled ? "disabled" : "active")\t\(op.passwordHash == nil ? "link only" : "password")")
            }
        }
    }

    /// Sets what is given and revokes every session and token the operator has.
    static func change(_ name: String, _ location: RecordsLocation, action: String, passwordHash: String? = nil, disabled: Bool? = nil) throws {
        let name = try checkedName(name)
        let store = try location.open()
        let now = UnixTime.seconds
        do {
            guard try store.updateOperator(name, passwordHash: passwordHash, disabled: disabled, at: now * 1000) else {
                throw RuntimeFailure(message: "there is no operator \(name) (livehub user list)")
            }
            if action != "user_enable" {
                try store.addRevocation(tokenId: nil, subject: name, issuedBefore: now, by: "cli", at: now * 1000)
            }
        } catch let error as RecordsFailure {
            throw RuntimeFailure(message: "records database: \(error)")
        }
        try audit(store, action, name)
    }

    struct Disable: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Disable an operator: their sessions end at once, on every node.")
        @Argument var name: String
        @OptionGroup var location: RecordsLocation
        func run() throws {
            try User.change(name, location, action: "user_disable", disabled: true)
            print("disabled \(name); their sessions and tokens are revoked")
        }
    }

    struct Enable: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Enable a disabled operator.")
        @Argument var name: String
        @OptionGroup var location: RecordsLocation
        func run() throws {
            try User.change(name, location, action: "user_enable", disabled: false)
            print("enabled \(name)")
        }
    }

    struct Reset: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Set a new password; the operator's sessions end.")
        @Argument var name: String
        @Flag(help: "Read the password from standard input (one line).") var passwordStdin = false
        @OptionGroup var location: RecordsLocation
        func run() throws {
            let hash = PasswordHash.hash(try User.readPassword(fromStdin: passwordStdin))
            try User.change(name, location, action: "user_reset", passwordHash: hash)
            print("new password set for \(name); their sessions and tokens are revoked")
        }
    }
}

/// `livehub token revoke`: a token by its id, or every token (and console session) of a
/// subject issued up to now; the hubs read it within a second.
struct Revoke: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Revoke a token by its id (--jti), or every token of a subject (--sub).")
    @Option(help: "The token's id (printed when it was minted).") var jti: String?
    @Option(help: "A subject: every token and console session of theirs issued up to now.") var sub: String?
    @OptionGroup var location: RecordsLocation

    func run() throws {
        guard (jti == nil) != (sub == nil) else { throw ValidationError("give --jti or --sub, one of them") }
        let store = try location.open()
        let now = UnixTime.seconds
        do {
            try store.addRevocation(tokenId: jti, subject: sub, issuedBefore: sub == nil ? nil : now, by: "cli", at: now * 1000)
            try store.appendAudit(AuditEntry(at: now * 1000, actor: "cli", action: "token_revoke",
                                             target: jti.map { "token \($0)" } ?? "every token of \(sub!)"))
        } catch {
            throw RuntimeFailure(message: "records database: \(error)")
        }
        print("revoked")
    }
}

/// The link `serve` prints while no operator can sign in with a password: it signs in
/// `admin` (made without a password) once, within 15 minutes.
enum FirstAdmin {
    static func link(database: RecordsDatabase?, dataDirectory: String, secret: [UInt8]) throws -> String {
        let store = try (database ?? .sqlite(path: dataDirectory + "/livehub.db")).open()
        let now = UnixTime.seconds
        if try store.operatorNamed("admin") == nil {
            _ = try store.addOperator(Operator(name: "admin", role: "admin", passwordHash: nil, disabled: false, createdAt: now * 1000), at: now * 1000)
        }
        let code = HMAC.hex(HMAC.randomBytes(24))
        try store.addSigninCode(hash: SigninCode.hash(code, secret: secret), name: "admin", role: "admin", expiresAt: now + SigninCode.lifetime)
        return code
    }
}
