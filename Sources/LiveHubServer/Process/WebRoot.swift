import Glibc

/// Where the dashboard, demo store and tracker are served from when `--web-root` is not
/// given: `./web` if it has them, else a `web/` beside the executable or up to three
/// folders above it (a SwiftPM build: `.build/<triple>/release/livehub`), else
/// `../share/livehub/web` (an install). So the hub serves its pages wherever it is started.
public enum WebRoot {
    public static func candidates(executable: String? = executablePath()) -> [String] {
        var list = ["web"]
        if let executable, let slash = executable.lastIndex(of: "/") {
            var directory = String(executable[..<slash])
            for _ in 0..<4 {
                list.append(directory + "/web")
                guard let up = directory.lastIndex(of: "/"), up > directory.startIndex else { break }
                directory = String(directory[..<up])
            }
            list.append(String(executable[..<slash]) + "/../share/livehub/web")
        }
        return list
    }

    /// The first candidate holding the dashboard, or nil.
    public static func find(in candidates: [String] = candidates()) -> String? {
        candidates.first { access($0 + "/index.html", R_OK) == 0 }
    }

    public static func executablePath() -> String? {
        var buffer = [CChar](repeating: 0, count: 4096)
        let n = readlink("/proc/self/exe", &buffer, buffer.count - 1)
        guard n > 0 else { return nil }
        return String(decoding: buffer[..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
