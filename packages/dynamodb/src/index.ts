export { DynamoDbJobStore, type DynamoDbJobStoreOptions } from './dynamodb-job-store.js';
export { attributeValueSizeBytes, itemSizeBytes, MAX_ITEM_BYTES } from './size.js';
export { type CreateJobsTableOptions, createJobsTable, jobsTable, jobsTableDefinition } from './table.js';
