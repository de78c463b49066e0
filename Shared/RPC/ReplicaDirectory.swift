#if canImport(Glibc)
import Glibc
#endif

/// Lists the replica sockets of a service in a run directory.
enum ReplicaDirectory {
    /// A replica socket: its path and what identifies one binding of it (inode and change
    /// time: a restarted server binds a new file, and inode numbers are reused).
    struct Entry: Hashable {
        var path: String
        var generation: [Int]
    }

    /// Every `<service>.<n>.sock` in `directory`, by replica number.
    static func scan(_ directory: String, service: String) -> [Entry] {
        guard let dir = opendir(directory) else { return [] }
        defer { closedir(dir) }
        var found: [(Int, Entry)] = []
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
            if let replica = RPCSocketPath.replica(fromFileName: name, service: service) {
                let path = "\(directory)/\(name)"
                var status = stat()
                guard stat(path, &status) == 0 else { continue }
                let generation = [Int(status.st_ino), status.st_ctim.tv_sec, status.st_ctim.tv_nsec]
                found.append((replica, Entry(path: path, generation: generation)))
            }
        }
        return found.sorted { $0.0 < $1.0 }.map(\.1)
    }
}
