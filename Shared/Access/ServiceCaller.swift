import RPC

/// Guards the methods meant for other platform services only (FindOrCreateLead,
/// GenerateReply, ...): the gateway never calls them on behalf of an HTTP client.
///
/// The RPC socket already admits only processes of the platform's uid/gid (`SO_PEERCRED`);
/// this check keeps a gateway route from ever reaching a service-only method, and names the
/// services each method serves.
public enum ServiceCaller {
    /// `PERMISSION_DENIED` unless the call's caller is one of `services`.
    public static func require(_ context: RPCContext, from services: Set<String>) throws {
        let caller = context.metadata.caller
        guard caller != "gateway", services.contains(caller) else {
            throw RPCError(.permissionDenied, "this method is for the platform's services only")
        }
    }
}
