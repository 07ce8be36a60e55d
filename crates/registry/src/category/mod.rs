//! Categories of people (重点人群: 留守妇女, 留守儿童, 两癌患者 …) as data: administrators add
//! a category with its own fields without code changes; a person's membership has a start,
//! an end and a status history.

pub mod api;
pub mod model;
pub mod service;
pub mod store;
pub mod web;
