import Glibc

/// What a start that fails leaves behind: nothing. The files it made in the data dir (the
/// secret, the records database and its log, the lock) go again, and the data dir itself
/// if the start made it, so a wrong flag or a port in use never leaves a half-made data dir
/// that a later start would take for a real one.
struct StartCleanup {
    let directory: String
    private let existed: Bool
    private let before: Set<String>

    init(directory: String) {
        self.directory = directory
        existed = access(directory, F_OK) == 0
        before = existed ? Self.names(in: directory) : []
    }

    func undo() {
        guard access(directory, F_OK) == 0 else { return }
        for name in Self.names(in: directory).subtracting(before) { unlink(directory + "/" + name) }
        if !existed { rmdir(directory) }
    }

    private static func names(in directory: String) -> Set<String> {
        guard let dir = opendir(directory) else { return [] }
        defer { closedir(dir) }
        var names: Set<String> = []
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            if name != "." && name != ".." { names.insert(name) }
        }
        return names
    }
}
