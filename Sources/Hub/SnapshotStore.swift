import Glibc

/// `DATA/snapshot` and `DATA/snapshot.prev` on disk. A save writes a temp file, fsyncs it,
/// keeps the current snapshot as `.prev`, renames the temp file into place and fsyncs the
/// directory: a crash at any point leaves a complete snapshot behind.
public struct SnapshotStore: Sendable {
    public let directory: String
    public var path: String { directory + "/snapshot" }
    public var previousPath: String { directory + "/snapshot.prev" }

    public init(directory: String) {
        self.directory = directory
    }

    public struct WriteError: Error, CustomStringConvertible {
        public let description: String
    }

    public func save(_ snapshot: HubSnapshot) throws(WriteError) {
        let bytes = snapshot.encoded()
        let temp = path + ".tmp"
        let fd = open(temp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw WriteError(description: "cannot create \(temp): errno \(errno)") }
        var offset = 0
        while offset < bytes.count {
            let n = bytes[offset...].withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else {
                close(fd)
                throw WriteError(description: "cannot write \(temp): errno \(errno)")
            }
            offset += n
        }
        guard fsync(fd) == 0 else {
            close(fd)
            throw WriteError(description: "fsync \(temp): errno \(errno)")
        }
        close(fd)
        if access(path, F_OK) == 0 { _ = rename(path, previousPath) }
        guard rename(temp, path) == 0 else { throw WriteError(description: "rename \(temp): errno \(errno)") }
        let dir = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if dir >= 0 {
            _ = fsync(dir)
            close(dir)
        }
    }

    public static func read(_ path: String) throws(HubSnapshot.ReadError) -> HubSnapshot {
        let read: [UInt8]?
        do { read = try FileBytes.read(path) } catch { throw .unreadable(error.description) }
        guard let bytes = read else { throw .missing }
        return try HubSnapshot.decode(bytes)
    }

    /// What start-up found.
    public enum LoadResult {
        case empty
        case loaded(HubSnapshot, from: String)
        /// The newest snapshot was bad; the previous one was loaded. The bad file was moved
        /// aside (to `movedTo`) so the next save cannot push the good one out.
        case recovered(HubSnapshot, problem: HubSnapshot.ReadError, movedTo: String)
        /// Neither snapshot could be read: the hub must not start empty as if nothing happened.
        case unusable(problem: HubSnapshot.ReadError, previousProblem: HubSnapshot.ReadError)
    }

    public func load() -> LoadResult {
        let problem: HubSnapshot.ReadError
        do {
            return .loaded(try Self.read(path), from: path)
        } catch {
            problem = error
        }
        if problem == .missing {
            if let previous = try? Self.read(previousPath) { return .loaded(previous, from: previousPath) }
            return .empty
        }
        do {
            let previous = try Self.read(previousPath)
            let aside = path + ".corrupt"
            _ = rename(path, aside)
            return .recovered(previous, problem: problem, movedTo: aside)
        } catch {
            return .unusable(problem: problem, previousProblem: error)
        }
    }
}
