import ArgumentParser
import Auth
import LiveHubServer

struct Token: ParsableCommand {

    static let configuration = CommandConfiguration(abstract: "Mint an access token (printed alone on stdout), or revoke tokens.",
                                                    subcommands: [Mint.self, Revoke.self], defaultSubcommand: Mint.self)
}

struct Mint: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "mint", abstract: "Mint an access token (printed alone on stdout; its id on stderr).")

    @Option(help: "seller, support, balance or admin.") var scope: String
    @Option(help: "Subject: the user id (required for balance tokens); default for seller and admin tokens: cli.") var sub: String?
    @Option(parsing: .unconditional, help: "Lifetime, e.g. 24h; at most 30d for admin and support, 90d for seller, 365d for balance.") var ttl = "24h"
    @Option(help: "Key (default: DATA/secret).") var secret: String?
    @Option(help: "Where the secret lives.") var dataDir = "./data"

    func run() throws {
        guard let scope = AccessToken.Scope(rawValue: scope) else {
            throw ValidationError("--scope: expected seller, support, balance or admin")
        }
        if scope == .balance && (sub ?? "").isEmpty {
            throw ValidationError("--sub: a balance token is for one wallet user: give their user id")
        }
        let lifetime = try Serve.duration(ttl, "--ttl")
        guard lifetime.components.seconds <= scope.maxLifetime else {
            throw ValidationError("--ttl: a \(scope.rawValue) token lives at most \(scope.maxLifetime / 86_400)d")
        }
        let key: [UInt8]
        if let secret, !secret.isEmpty {
            key = Array(secret.utf8)
        } else {
            do {
                key = try SecretStore.load(dataDirectory: dataDir)
            } catch {
                throw RuntimeFailure(message: "\(error): start the hub once with this --data-dir (it creates one), or give the hub's --secret (LIVEHUB_SECRET)")
            }
        }
        let token = AccessToken.issue(subject: sub ?? "cli", scope: scope, now: UnixTime.seconds, lifetime: lifetime.components.seconds)
        print(token.signed(secret: key))
        FileHandleOutput.standardError("token id (jti): \(token.id ?? "")")
    }
}
