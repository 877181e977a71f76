import Glibc
import Hub

/// The token key: given (`--secret`, `LIVEHUB_SECRET`), or kept in `DATA/secret`, made on
/// the first start so a newcomer never has to invent one.
public enum SecretStore {
    public enum Failure: Error, CustomStringConvertible {
        case cannotCreateDirectory(String, Int32)
        case cannotWrite(String, Int32)
        case unreadable(String)
        case notADirectory(String)
        case missing(String)

        public var description: String {
            switch self {
            case .cannotCreateDirectory(let path, let err): return "cannot create \(path): \(String(cString: strerror(err)))"
            case .cannotWrite(let path, let err): return "cannot write \(path): \(String(cString: strerror(err)))"
            case .unreadable(let path): return "\(path) is empty or unreadable"
            case .notADirectory(let path): return "\(path) exists and is not a directory"
            case .missing(let path): return "there is no secret at \(path)"
            }
        }
    }

    /// The secret in `dataDirectory/secret`, creating directory and file if missing.
    /// Returns the secret and whether it was just created.
    public static func loadOrCreate(dataDirectory: String) throws(Failure) -> (secret: [UInt8], created: Bool) {
        try makeDirectory(dataDirectory)
        let path = dataDirectory + "/secret"
        let existing: [UInt8]?
        do { existing = try FileBytes.read(path) } catch { throw .unreadable(path) }
        if let existing {
            let text = String(decoding: existing, as: UTF8.self).trimmingCharacters(in: " \n\r\t")
            guard !text.isEmpty else { throw .unreadable(path) }
            return (Array(text.utf8), false)
        }
        let hex = HMAC.hex(HMAC.randomBytes(32))
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0o600)
        guard fd >= 0 else { throw .cannotWrite(path, errno) }
        defer { close(fd) }
        let line = Array((hex + "\n").utf8)
        guard write(fd, line, line.count) == line.count, fsync(fd) == 0 else { throw .cannotWrite(path, errno) }
        return (Array(hex.utf8), true)
    }

    /// The secret in `dataDirectory/secret`, never creating one (`livehub token`: a token
    /// signed with a new secret would be refused by the hub that has the old one).
    public static func load(dataDirectory: String) throws(Failure) -> [UInt8] {
        let path = dataDirectory + "/secret"
        let existing: [UInt8]?
        do { existing = try FileBytes.read(path) } catch { throw .unreadable(path) }
        guard let existing else { throw .missing(path) }
        let text = String(decoding: existing, as: UTF8.self).trimmingCharacters(in: " \n\r\t")
        guard !text.isEmpty else { throw .unreadable(path) }
        return Array(text.utf8)
    }

    /// Makes the data dir (and its parents) if missing. The data dir itself is the owner's
    /// alone (0700): it holds the secret, the records and snapshots that name people.
    public static func makeDirectory(_ path: String) throws(Failure) {
        var partial = path.hasPrefix("/") ? "/" : ""
        for component in path.split(separator: "/") {
            partial += component + "/"
            if mkdir(partial, 0o700) != 0 && errno != EEXIST { throw .cannotCreateDirectory(partial, errno) }
        }
        var info = stat()
        guard stat(path, &info) == 0, info.st_mode & S_IFMT == S_IFDIR else { throw .notADirectory(path) }
    }

    /// Files this process makes are its owner's alone (0600, directories 0700): SQLite
    /// makes its database, log and shared-memory files with the umask's leave.
    public static func ownerOnly() { umask(0o077) }

    /// A data dir made by an earlier version: the dir 0700 and every file in it 0600.
    public static func tighten(_ dataDirectory: String) {
        chmod(dataDirectory, 0o700)
        guard let dir = opendir(dataDirectory) else { return }
        defer { closedir(dir) }
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            guard name != ".", name != ".." else { continue }
            var info = stat()
            let path = dataDirectory + "/" + name
            if lstat(path, &info) == 0, info.st_mode & S_IFMT == S_IFREG { chmod(path, 0o600) }
        }
    }

    /// A secret kept in a file (`--secret-file` and the like): its first line, which must not
    /// be empty. Flags show in `ps`; files and the environment do not.
    public static func readSecretFile(_ path: String) throws(Failure) -> String {
        let bytes: [UInt8]?
        do { bytes = try FileBytes.read(path) } catch { throw .unreadable(path) }
        guard let bytes else { throw .missing(path) }
        let line = String(decoding: bytes, as: UTF8.self).split(separator: "\n", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
        let text = String(line).trimmingCharacters(in: " \r\t")
        guard !text.isEmpty else { throw .unreadable(path) }
        return text
    }
}
