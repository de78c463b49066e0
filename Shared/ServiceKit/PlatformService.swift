import Contracts

/// One of the six domain services as its callers see it: name and the methods every service
/// has. The gateway's `/healthz` and `/metrics` and `smarterchatctl status` walk ``all``.
public struct PlatformService: Sendable, Hashable {
    /// The short name: socket `<name>.<n>.sock`, schema `<name>`, role `smarterchat_<name>`.
    public var name: String
    /// The `.proto` service block.
    public var descriptor: ServiceDescriptor
    /// Its `Health` method.
    public var health: MethodDescriptor<Common.HealthRequest, Common.HealthResponse>
    /// Its `Metrics` method.
    public var metrics: MethodDescriptor<Common.MetricsRequest, Common.MetricsResponse>

    public static let identity = PlatformService(
        name: "identity", descriptor: Identity.Service.descriptor,
        health: Identity.Service.health, metrics: Identity.Service.metrics)
    public static let agents = PlatformService(
        name: "agents", descriptor: Agents.Service.descriptor,
        health: Agents.Service.health, metrics: Agents.Service.metrics)
    public static let conversations = PlatformService(
        name: "conversations", descriptor: Conversations.Service.descriptor,
        health: Conversations.Service.health, metrics: Conversations.Service.metrics)
    public static let crm = PlatformService(
        name: "crm", descriptor: CRM.Service.descriptor,
        health: CRM.Service.health, metrics: CRM.Service.metrics)
    public static let hooks = PlatformService(
        name: "hooks", descriptor: Hooks.Service.descriptor,
        health: Hooks.Service.health, metrics: Hooks.Service.metrics)
    public static let analytics = PlatformService(
        name: "analytics", descriptor: Analytics.Service.descriptor,
        health: Analytics.Service.health, metrics: Analytics.Service.metrics)

    /// The six domain services, in start order.
    public static let all: [PlatformService] = [identity, agents, conversations, crm, hooks, analytics]
}
