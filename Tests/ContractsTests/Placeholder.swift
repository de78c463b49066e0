// ContractsTests
