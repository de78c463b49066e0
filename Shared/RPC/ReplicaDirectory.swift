#if canImport(Glibc)
import Glibc
#endif

/// Lists the replica sockets of a service in a run directory.
enum ReplicaDirectory {
    /// The paths of every `<service>.<n>.sock` in `directory`, by replica number.
    static func scan(_ directory: String, service: String) -> [String] {
        guard let dir = opendir(directory) else { return [] }
        defer { closedir(dir) }
        var found: [(Int, String)] = []
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
            if let replica = RPCSocketPath.replica(fromFileName: name, service: service) {
                found.append((replica, "\(directory)/\(name)"))
            }
        }
        return found.sorted { $0.0 < $1.0 }.map(\.1)
    }
}
