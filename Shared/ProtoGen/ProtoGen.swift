import Foundation

/// `smarterchat-protogen`: writes the Swift face of the contracts and the C descriptor
/// accessors from a `FileDescriptorSet` made by
/// `protoc --include_imports --include_source_info --descriptor_set_out=…`.
///
///     smarterchat-protogen SET --swift-out DIR --c-out DIR [--package-out PACKAGE=DIR]...
///
/// `--package-out` sends one package's Swift somewhere else (the test fixture goes to the
/// test target, which imports Contracts).
@main
struct ProtoGen {
    static func main() throws {
        var args = Array(CommandLine.arguments.dropFirst())
        guard !args.isEmpty else {
            throw GeneratorError(description: "usage: smarterchat-protogen SET --swift-out DIR --c-out DIR")
        }
        let setPath = args.removeFirst()
        var swiftOut = "", cOut = ""
        var packageOut: [String: String] = [:]
        while args.count >= 2 {
            let (flag, value) = (args.removeFirst(), args.removeFirst())
            switch flag {
            case "--swift-out": swiftOut = value
            case "--c-out": cOut = value
            case "--package-out":
                let parts = value.split(separator: "=", maxSplits: 1).map(String.init)
                guard parts.count == 2 else { throw GeneratorError(description: "bad --package-out \(value)") }
                packageOut[parts[0]] = parts[1]
            default: throw GeneratorError(description: "unknown option \(flag)")
            }
        }
        guard let data = FileManager.default.contents(atPath: setPath) else {
            throw GeneratorError(description: "cannot read \(setPath)")
        }
        let files = try DescriptorSetReader.read(Array(data))
        let registry = TypeRegistry(files: files)
        for file in files {
            let dir = packageOut[file.package] ?? swiftOut
            let emitter = FileEmitter(registry: registry, importsContracts: packageOut[file.package] != nil)
            let source = try emitter.emit(file)
            try write(source, to: dir + "/" + Naming.namespace(file.package) + ".pb.swift")
        }
        let accessors = CAccessorEmitter(files: files, registry: registry)
        try write(accessors.header(), to: cOut + "/include/contracts_descriptors.h")
        try write(accessors.source(), to: cOut + "/contracts_descriptors.c")
    }

    static func write(_ text: String, to path: String) throws {
        let url = URL(fileURLWithPath: path)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(text.utf8).write(to: url)
    }
}
