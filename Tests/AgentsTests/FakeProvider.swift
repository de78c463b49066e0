import TestSupport

/// The fake OpenAI-compatible server of TestSupport.
typealias FakeProvider = FakeChatCompletionsProvider
