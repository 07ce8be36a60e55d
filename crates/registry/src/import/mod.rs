//! Excel and CSV import of persons. This part reads real-world sheets into typed rows
//! (header row found under title rows and merged cells, Excel serial and text dates,
//! numbers stored as text, trailing spaces, empty rows, formulas' cached values) and makes
//! the template, and runs the background import job that writes them.

pub mod api;
mod check;
mod group;
pub mod job;
pub mod sheet;
pub mod template;
pub mod web;

/// The columns of a person sheet, in template order, with the catalogue key of the header.
pub const COLUMNS: [(Column, &str); 10] = [
    (Column::Name, "person.name"),
    (Column::IdNumber, "person.id_number"),
    (Column::Sex, "person.sex"),
    (Column::BirthDate, "person.birth_date"),
    (Column::Ethnicity, "person.ethnicity"),
    (Column::Phone, "person.phone"),
    (Column::UnitCode, "person.unit_code"),
    (Column::HukouCode, "person.hukou_code"),
    (Column::Address, "person.address"),
    (Column::Notes, "person.notes"),
];

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Column {
    Name,
    IdNumber,
    Sex,
    BirthDate,
    Ethnicity,
    Phone,
    UnitCode,
    HukouCode,
    Address,
    Notes,
}
