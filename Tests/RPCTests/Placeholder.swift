// RPCTests
