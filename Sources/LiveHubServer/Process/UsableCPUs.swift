import CLinux
import Glibc
import Hub

/// How many CPUs this process may really use: the affinity mask (taskset, cpusets) and a
/// cgroup v2 CPU quota (`cpu.max`, a container's `--cpus`), whichever is smaller. A
/// container limited to 2 CPUs on a 64-core host gets 2 loops, not 64.
public enum UsableCPUs {
    public static func count() -> Int {
        var cpus = Int(clinux_affinity_cpus())
        if cpus <= 0 { cpus = max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN)))) }
        if let quota = cgroupQuota() { cpus = min(cpus, quota) }
        return max(1, cpus)
    }

    /// `cpu.max` of this process's cgroup: "QUOTA PERIOD" or "max PERIOD" (no limit).
    static func cgroupQuota() -> Int? {
        guard let membership = try? FileBytes.read("/proc/self/cgroup"),
              let line = String(decoding: membership, as: UTF8.self).split(separator: "\n").first(where: { $0.hasPrefix("0::") })
        else { return nil }
        let group = line.dropFirst(3)
        guard let bytes = try? FileBytes.read("/sys/fs/cgroup" + group + "/cpu.max") ?? FileBytes.read("/sys/fs/cgroup/cpu.max") else { return nil }
        return quota(fromCPUMax: String(decoding: bytes, as: UTF8.self))
    }

    /// CPUs a `cpu.max` text allows, rounded up; nil for "max" or nonsense.
    static func quota(fromCPUMax text: String) -> Int? {
        let fields = text.split(whereSeparator: { $0 == " " || $0 == "\n" })
        guard fields.count == 2, let quota = Int(fields[0]), let period = Int(fields[1]), quota > 0, period > 0 else { return nil }
        return (quota + period - 1) / period
    }
}
