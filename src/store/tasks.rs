//! One-time work on the stored data, recorded in `store_tasks` once it is finished, so it
//! runs again after an interruption and never after it completed.

use sea_orm::ActiveValue::Set;
use sea_orm::EntityTrait;
use sea_orm::sea_query::OnConflict;

use super::Store;
use super::entity::store_task::{self, Column, Entity};
use super::errors::db_error;
use crate::error::Result;

impl Store {
    /// Whether the task `name` has finished.
    pub async fn task_finished(&self, name: &str) -> Result<bool> {
        let found = Entity::find_by_id(name.to_owned()).one(&self.db).await.map_err(|e| db_error("read task", e))?;
        Ok(found.is_some())
    }

    /// Records that the task `name` finished (again is harmless).
    pub async fn finish_task(&self, name: &str, now: i64) -> Result<()> {
        let row = store_task::ActiveModel { name: Set(name.to_owned()), finished_at: Set(now) };
        Entity::insert(row)
            .on_conflict(OnConflict::column(Column::Name).do_nothing().to_owned())
            .exec_without_returning(&self.db)
            .await
            .map_err(|e| db_error("finish task", e))?;
        Ok(())
    }
}
