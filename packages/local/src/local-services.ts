import {
  type EmbeddedDynamoDb,
  type EmbeddedDynamoDbOptions,
  startEmbeddedDynamoDb,
} from './embedded-dynamodb.js';
import { type LambdaService, type LambdaServiceOptions, startLambdaService } from './lambda-service.js';

export interface LocalServicesOptions extends LambdaServiceOptions {
  /** Start an embedded DynamoDB too (default: in memory); `false` for none. */
  dynamoDb?: EmbeddedDynamoDbOptions | false;
}

export interface LocalServices {
  lambda: LambdaService;
  dynamoDb?: EmbeddedDynamoDb;
  stop(): Promise<void>;
}

/**
 * The whole system on one machine, as a `start` script needs it: an embedded DynamoDB, then the Lambda service
 * with every function's `AWS_ENDPOINT_URL_DYNAMODB` pointing at it — so handlers use the real SDK, unchanged.
 */
export async function startLocalServices(options: LocalServicesOptions): Promise<LocalServices> {
  const { dynamoDb: dynamoDbOptions = {}, ...lambdaOptions } = options;
  const dynamoDb = dynamoDbOptions === false ? undefined : await startEmbeddedDynamoDb(dynamoDbOptions);
  let lambda: LambdaService;
  try {
    lambda = await startLambdaService({
      ...lambdaOptions,
      environment: {
        ...(dynamoDb ? { AWS_ENDPOINT_URL_DYNAMODB: dynamoDb.endpoint } : {}),
        ...lambdaOptions.environment,
      },
    });
  } catch (error) {
    await dynamoDb?.stop();
    throw error;
  }
  return {
    lambda,
    ...(dynamoDb ? { dynamoDb } : {}),
    async stop() {
      // Functions first: their SDK clients hold keep-alive sockets to DynamoDB.
      await lambda.stop();
      await dynamoDb?.stop();
    },
  };
}
