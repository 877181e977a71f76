import Foundation

/// A throw-away CA and a certificate it signed for `localhost`, made with the openssl
/// command line (as the HTTPClient tests do), for the smtps:// tests.
struct TestPKI {
    let directory: String
    var ca: String { "\(directory)/ca.pem" }
    var certificate: String { "\(directory)/server.pem" }
    var key: String { "\(directory)/server.key" }

    init() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("livehub-smtp-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let d = directory
        let ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
        try Self.run(["req", "-x509"] + ec + ["-keyout", "\(d)/ca.key", "-out", "\(d)/ca.pem", "-days", "2", "-subj", "/CN=LiveHub SMTP Test CA"])
        try Self.run(["req"] + ec + ["-keyout", "\(d)/server.key", "-out", "\(d)/server.csr", "-subj", "/CN=localhost"])
        try "subjectAltName=DNS:localhost\n".write(toFile: "\(d)/san.ext", atomically: true, encoding: .utf8)
        try Self.run(["x509", "-req", "-in", "\(d)/server.csr", "-CA", "\(d)/ca.pem", "-CAkey", "\(d)/ca.key", "-CAcreateserial",
                      "-out", "\(d)/server.pem", "-days", "2", "-extfile", "\(d)/san.ext"])
    }

    func remove() { try? FileManager.default.removeItem(atPath: directory) }

    struct Failure: Error { let why: String }

    /// posix_spawn rather than Foundation's Process, whose waitUntilExit can hang on Linux.
    private static func run(_ arguments: [String]) throws {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
        let argv = (["openssl"] + arguments).map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var pid = pid_t()
        guard posix_spawn(&pid, "/usr/bin/openssl", &actions, nil, argv, environ) == 0 else { throw Failure(why: "posix_spawn openssl") }
        var status: Int32 = 0
        waitpid(pid, &status, 0)
        guard status == 0 else { throw Failure(why: "openssl \(arguments.joined(separator: " ")) failed") }
    }
}
