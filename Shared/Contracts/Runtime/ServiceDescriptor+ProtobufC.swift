import CProtobufC

extension ServiceDescriptor {
    /// The service block as libprotobuf-c describes it: its full name and methods in order.
    package init(protobufC d: UnsafePointer<ProtobufCServiceDescriptor>) {
        let methods = (0..<Int(d.pointee.n_methods)).map { String(cString: d.pointee.methods[$0].name) }
        self.init(name: String(cString: d.pointee.name), methods: methods)
    }
}
