// Integration tests start processes, brokers and databases: allow them minutes, not seconds.
jest.setTimeout(120_000);
