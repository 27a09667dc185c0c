// What every bundle of the cold-start part makes at module scope, as Baton's handler does: the DynamoDB
// document client and the Lambda client (to store jobs and hand them to a worker).
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

export const documents = DynamoDBDocumentClient.from(new DynamoDBClient({}));
export const lambda = new LambdaClient({});
