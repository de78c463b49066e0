import Foundation

/// Merges several processes' Prometheus text expositions into one, labelling every sample
/// with the process it came from.
///
/// A metric family must appear once in an exposition, so families with the same name from
/// different services are merged: one `# HELP`/`# TYPE` pair, then every service's samples.
public struct ExpositionMerger: Sendable {
    private struct Family {
        var header: [String] = []
        var samples: [String] = []
    }

    private var families: [String: Family] = [:]
    private var order: [String] = []

    public init() {}

    /// Adds `exposition`, each sample labelled `label="value"` (e.g. `service="crm"`).
    public mutating func add(_ exposition: String, label: String, value: String) {
        let pair = "\(label)=\"\(Self.escape(value))\""
        var current = ""
        for line in exposition.split(separator: "\n", omittingEmptySubsequences: true) {
            if line.hasPrefix("# HELP ") || line.hasPrefix("# TYPE ") {
                let name = String(line.split(separator: " ", maxSplits: 3)[2])
                current = name
                if families[name] == nil {
                    families[name] = Family()
                    order.append(name)
                }
                if families[name]!.header.count < 2 && !families[name]!.header.contains(String(line)) {
                    families[name]!.header.append(String(line))
                }
            } else if line.hasPrefix("#") {
                continue
            } else {
                let name = Self.familyName(of: line, current: current)
                if families[name] == nil {
                    families[name] = Family()
                    order.append(name)
                }
                families[name]!.samples.append(Self.labelled(line, with: pair))
            }
        }
    }

    /// The merged exposition, ending in a newline.
    public var text: String {
        var lines: [String] = []
        for name in order {
            guard let family = families[name] else { continue }
            lines += family.header
            lines += family.samples
        }
        return lines.isEmpty ? "" : lines.joined(separator: "\n") + "\n"
    }

    /// A sample belongs to the family declared just before it when its name extends it
    /// (`_bucket`, `_sum`, `_count` of a histogram); otherwise to its own name.
    private static func familyName(of line: Substring, current: String) -> String {
        let end = line.firstIndex { $0 == "{" || $0 == " " } ?? line.endIndex
        let name = String(line[..<end])
        return !current.isEmpty && name.hasPrefix(current) ? current : name
    }

    private static func labelled(_ line: Substring, with pair: String) -> String {
        if let brace = line.firstIndex(of: "{") {
            let rest = line[line.index(after: brace)...]
            return String(line[...brace]) + pair + (rest.hasPrefix("}") ? "" : ",") + rest
        }
        guard let space = line.firstIndex(of: " ") else { return String(line) }
        return String(line[..<space]) + "{\(pair)}" + line[space...]
    }

    private static func escape(_ value: String) -> String {
        value.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
    }
}
