//! Finding a table's stream and listing its shards: `DescribeTable` for the stream's ARN,
//! then `DescribeStream` page by page (`ExclusiveStartShardId`), each call spaced by the
//! reader's describe interval, throttling retried.

use std::sync::Arc;

use aws_sdk_dynamodb::error::ProvideErrorMetadata;

use super::fetch::Context;
use crate::error::{Error, StreamErrorKind};
use crate::retry::Retries;

/// One shard as `DescribeStream` lists it.
#[derive(Debug, Clone)]
pub(crate) struct ListedShard {
    pub(crate) id: String,
    pub(crate) parent: Option<String>,
}

/// The ARN of the table's stream, from `DescribeTable` (its latest stream).
pub(crate) async fn stream_arn(context: Arc<Context>) -> Result<String, Error> {
    if let Some(arn) = context.options.stream_arn.clone() {
        return Ok(arn);
    }
    let described = context
        .config
        .client
        .describe_table()
        .table_name(&context.table)
        .send()
        .await
        .map_err(|e| Error::from_sdk(&context.table, e))?;
    let table = described.table;
    let enabled = table
        .as_ref()
        .and_then(|t| t.stream_specification.as_ref())
        .is_some_and(|s| s.stream_enabled);
    match table.and_then(|t| t.latest_stream_arn) {
        Some(arn) if enabled => Ok(arn),
        _ => Err(context.failure(
            StreamErrorKind::NoStream,
            "DescribeTable",
            None,
            "no stream is enabled on the table (create it with `create_table().stream(view)`)",
        )),
    }
}

/// Every shard of the stream, over as many `DescribeStream` pages as it takes.
pub(crate) async fn list_shards(context: Arc<Context>) -> Result<Vec<ListedShard>, Error> {
    let arn = context.arn();
    let mut shards = Vec::new();
    let mut start: Option<String> = None;
    let mut retries = Retries::new(context.options.retry);
    loop {
        context.describe_gate().await?;
        let answer = context
            .streams
            .describe_stream()
            .stream_arn(&arn)
            .set_exclusive_start_shard_id(start.clone())
            .send()
            .await;
        context.described();
        let description = match answer {
            Ok(out) => out.stream_description,
            Err(error) => {
                let code = error.code().map(str::to_owned);
                let failure = context.sdk_failure("DescribeStream", None, error);
                tracing::debug!(code = ?code, "DescribeStream failed");
                if failure.is_retryable() && retries.wait(&context.config).await? {
                    continue;
                }
                return Err(Error::Stream(Box::new(failure)));
            }
        };
        let Some(description) = description else {
            return Err(context.failure(
                StreamErrorKind::Other,
                "DescribeStream",
                None,
                "the answer has no stream description",
            ));
        };
        for shard in description.shards.unwrap_or_default() {
            let Some(id) = shard.shard_id else { continue };
            shards.push(ListedShard {
                id,
                parent: shard.parent_shard_id,
            });
        }
        match description.last_evaluated_shard_id {
            Some(last) if start.as_deref() != Some(last.as_str()) => start = Some(last),
            Some(_) => {
                return Err(context.failure(
                    StreamErrorKind::Other,
                    "DescribeStream",
                    None,
                    "the shard listing gave the same page twice",
                ));
            }
            None => return Ok(shards),
        }
    }
}
