/// Counters across nodes (cluster mode): each node's own, encoded for its row in the
/// database, and the sum of several that every node's sellers are shown.
extension PresenceCounters {
    /// Adds another node's counts. Each map keeps at most `maxKeys` names: past that the
    /// smallest entries are folded into `"other"` (tile page types keep their names), so
    /// the totals stay exact however the nodes' names differ.
    public mutating func add(_ other: PresenceCounters) {
        totalActive += other.totalActive
        let maxKeys = maxKeys
        pages = Self.merged(pages, other.pages, maxKeys: maxKeys, tilesKeepTheirNames: true)
        categories = Self.merged(categories, other.categories, maxKeys: maxKeys, tilesKeepTheirNames: false)
        offers = Self.merged(offers, other.offers, maxKeys: maxKeys, tilesKeepTheirNames: false)
    }

    private static func merged(_ a: [String: Int], _ b: [String: Int], maxKeys: Int, tilesKeepTheirNames: Bool) -> [String: Int] {
        var sum = a
        for (key, value) in b {
            let total = (sum[key] ?? 0) + value
            sum[key] = total == 0 ? nil : total
        }
        guard sum.count > maxKeys else { return sum }
        func kept(_ key: String) -> Bool { tilesKeepTheirNames && PageType.withTiles.contains(PageType(rawValue: key)) }
        var other = sum.removeValue(forKey: otherKey) ?? 0
        // Largest first, names breaking ties so every node folds the same way.
        let candidates = sum.filter { !kept($0.key) }.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }
        let room = max(0, maxKeys - 1 - (sum.count - candidates.count))
        for (key, value) in candidates.dropFirst(room) {
            other += value
            sum[key] = nil
        }
        if other != 0 { sum[otherKey] = other }
        return sum
    }

    /// The counts as bytes, for this node's row in the cluster table.
    public func encoded() -> [UInt8] {
        var writer = ByteWriter()
        writer.u8(1)  // format version
        writer.i64(Int64(totalActive))
        for map in [pages, categories, offers] {
            writer.u32(UInt32(map.count))
            for (key, value) in map.sorted(by: { $0.key < $1.key }) {
                writer.string(key)
                writer.i64(Int64(value))
            }
        }
        return writer.bytes
    }

    /// Another node's counts from its row; nil if they are not in the format `encoded` writes.
    public init?(encoded bytes: [UInt8], maxKeys: Int) {
        self.init(maxKeys: maxKeys)
        var reader = ByteReader(bytes)
        do throws(ByteReader.Truncated) {
            guard try reader.u8() == 1 else { return nil }
            let total = Int(try reader.i64())
            var maps: [[String: Int]] = []
            for _ in 0..<3 {
                let count = Int(try reader.u32())
                guard count <= reader.remaining else { return nil }
                var map: [String: Int] = [:]
                for _ in 0..<count { map[try reader.requiredString()] = Int(try reader.i64()) }
                maps.append(map)
            }
            guard reader.remaining == 0 else { return nil }
            // Folded to this node's limit as they are added to its own.
            var decoded = PresenceCounters(maxKeys: maxKeys)
            decoded.totalActive = total
            decoded.pages = maps[0]
            decoded.categories = maps[1]
            decoded.offers = maps[2]
            add(decoded)
        } catch {
            return nil
        }
    }
}
