import Contracts

/// A service that receives other services' events through its `ConsumeEvents` method.
public struct OutboxSubscriber: Sendable {
    /// The receiving service.
    public var service: PlatformService
    /// Its `ConsumeEvents` method.
    public var method: MethodDescriptor<Common.ConsumeEventsRequest, Common.ConsumeEventsResponse>
    /// Event types never sent to it (e.g. events carrying a one-time secret for analytics).
    public var excludedTypes: [String]

    /// A subscriber receiving every event type except `excludedTypes`.
    public init(
        service: PlatformService,
        method: MethodDescriptor<Common.ConsumeEventsRequest, Common.ConsumeEventsResponse>,
        excludedTypes: [String] = []
    ) {
        self.service = service
        self.method = method
        self.excludedTypes = excludedTypes
    }

    /// Event types that carry a single-use secret for the organization's own systems (the
    /// email verification token): delivered to hooks (the organization's webhooks) only.
    public static let confidentialTypes = ["user.email_verification_requested"]

    /// hooks: every event, for the organization's outbound webhooks.
    public static let hooks = OutboxSubscriber(service: .hooks, method: Hooks.Service.consumeEvents)
    /// analytics: every event except the confidential ones.
    public static let analytics = OutboxSubscriber(
        service: .analytics, method: Analytics.Service.consumeEvents, excludedTypes: confidentialTypes)
    /// Where a service's events go unless it says otherwise (DESIGN §4).
    public static let platformDefault: [OutboxSubscriber] = [hooks, analytics]
}
