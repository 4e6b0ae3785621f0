//! A Lambda stream record built as Lambda delivers it (JSON, parsed), for tests that decode
//! images through the Lambda source.

use aws_lambda_events::event::dynamodb::EventRecord;
use dynamodb_mapper::ItemMap;

/// An `INSERT` record of a `NEW_IMAGE` stream carrying `keys` and the new image `image`.
pub fn insert(keys: ItemMap, image: ItemMap) -> EventRecord {
    let json = |map: ItemMap| serde_json::to_value(serde_dynamo::Item::from(map)).unwrap();
    serde_json::from_value(serde_json::json!({
        "eventID": "1",
        "eventName": "INSERT",
        "eventVersion": "1.1",
        "eventSource": "aws:dynamodb",
        "awsRegion": "us-east-1",
        "dynamodb": {
            "ApproximateCreationDateTime": 1700000000,
            "Keys": json(keys),
            "NewImage": json(image),
            "SequenceNumber": "100",
            "SizeBytes": 100,
            "StreamViewType": "NEW_IMAGE"
        }
    }))
    .unwrap()
}
