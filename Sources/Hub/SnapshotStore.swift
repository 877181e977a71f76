import Glibc

/// `DATA/snapshot` and `DATA/snapshot.prev` on disk. A save writes a temp file, fsyncs it,
/// keeps the current snapshot as `.prev`, renames the temp file into place and fsyncs the
/// directory: a crash at any point leaves a complete snapshot behind.
public struct SnapshotStore: Sendable {
    public let directory: String
    public var path: String { directory + "/snapshot" }
    public var previousPath: String { directory + "/snapshot.prev" }
    /// Where a snapshot that could not be read is set aside.
    var corruptPath: String { path + ".corrupt" }

    public init(directory: String) {
        self.directory = directory
    }

    public struct WriteError: Error, CustomStringConvertible {
        public let description: String
    }

    /// `keepingPrevious: false` (after an erasure): the snapshot before this one, and a
    /// damaged one set aside, are deleted once this one is in place, so no older copy of
    /// what was erased stays in the data dir.
    public func save(_ snapshot: HubSnapshot, keepingPrevious: Bool = true) throws(WriteError) {
        try write(snapshot.encoded(), keepingPrevious: keepingPrevious)
    }

    /// Writes encoded snapshot bytes. A failure (a full disk) removes the temp file, so
    /// a snapshot that cannot be written takes no space; the current one stays in place.
    public func write(_ bytes: [UInt8], keepingPrevious: Bool = true) throws(WriteError) {
        let temp = path + ".tmp"
        let fd = open(temp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw WriteError(description: "cannot create \(temp): \(String(cString: strerror(errno)))") }
        do throws(WriteError) {
            do {
                try FileBytes.writeAll(fd, bytes, at: 0, what: temp)
            } catch {
                throw WriteError(description: error.description)
            }
            guard fsync(fd) == 0 else { throw WriteError(description: "fsync \(temp): \(String(cString: strerror(errno)))") }
        } catch {
            close(fd)
            unlink(temp)
            throw error
        }
        close(fd)
        if keepingPrevious, access(path, F_OK) == 0 { _ = rename(path, previousPath) }
        guard rename(temp, path) == 0 else {
            unlink(temp)
            throw WriteError(description: "rename \(temp): \(String(cString: strerror(errno)))")
        }
        if !keepingPrevious {
            unlink(previousPath)
            unlink(corruptPath)
        }
        FileBytes.syncDirectory(of: path)
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
            let aside = corruptPath
            _ = rename(path, aside)
            return .recovered(previous, problem: problem, movedTo: aside)
        } catch {
            return .unusable(problem: problem, previousProblem: error)
        }
    }
}
