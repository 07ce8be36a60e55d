//! The import template (.xlsx): the person sheet with its headers (required ones marked
//! `*`), drop-down lists for sex, ethnicity and the villages of the account's area, and a
//! sheet of instructions.

use kernel::i18n::Tr;
use rust_xlsxwriter::{DataValidation, Format, Formula, Workbook, XlsxError};

use super::COLUMNS;

/// Villages listed in the residence drop-down; a larger area types the code.
pub const MAX_VILLAGES_LISTED: usize = 5_000;

/// Builds the template for an account's language and the villages of her area
/// (`(code, name)`, in code order).
pub fn build(tr: Tr, villages: &[(String, String)]) -> Result<Vec<u8>, XlsxError> {
    let mut wb = Workbook::new();
    let bold = Format::new().set_bold();
    let required = ["person.name", "person.unit_code"];
    {
        let ws = wb.add_worksheet();
        ws.set_name(tr.s("import.sheet_persons"))?;
        for (c, (_, key)) in COLUMNS.iter().enumerate() {
            let mut h = tr.s(key).to_string();
            if required.contains(key) {
                h.push('*');
            }
            ws.write_string_with_format(0, c as u16, &h, &bold)?;
            ws.set_column_width(c as u16, if *key == "person.id_number" { 22 } else { 16 })?;
        }
        ws.set_freeze_panes(1, 0)?;
        // Text format keeps ID numbers, phones and codes exact.
        let text = Format::new().set_num_format("@");
        for c in [1u16, 5, 6, 7] {
            ws.set_column_format(c, &text)?;
        }
        let last = 1_048_575;
        let sexes = [tr.s("sex.female"), tr.s("sex.male")];
        ws.add_data_validation(
            1,
            2,
            last,
            2,
            &DataValidation::new().allow_list_strings(&sexes)?,
        )?;
        ws.add_data_validation(
            1,
            4,
            last,
            4,
            &DataValidation::new().allow_list_formula(Formula::new("=Lists!$A$1:$A$56")),
        )?;
        let listed = villages.len().min(MAX_VILLAGES_LISTED);
        if listed > 0 {
            let v = DataValidation::new()
                .allow_list_formula(Formula::new(format!("=Lists!$B$1:$B${listed}")))
                .ignore_blank(true);
            ws.add_data_validation(1, 6, last, 6, &v)?;
        }
    }
    {
        let help = wb.add_worksheet();
        help.set_name(tr.s("import.sheet_help"))?;
        help.set_column_width(0, 100)?;
        for (i, key) in [
            "import.help_1",
            "import.help_2",
            "import.help_3",
            "import.help_4",
            "import.help_5",
        ]
        .iter()
        .enumerate()
        {
            help.write_string(i as u32, 0, tr.s(key))?;
        }
    }
    {
        let lists = wb.add_worksheet();
        lists.set_name("Lists")?;
        for (i, code) in crate::ethnicity::codes().enumerate() {
            lists.write_string(i as u32, 0, tr.s(&crate::ethnicity::key(&code)))?;
        }
        for (i, (code, name)) in villages.iter().take(MAX_VILLAGES_LISTED).enumerate() {
            lists.write_string(i as u32, 1, code)?;
            lists.write_string(i as u32, 2, name)?;
        }
        lists.set_hidden(true);
    }
    wb.save_to_buffer()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn template_reads_back_as_an_empty_sheet_with_its_header() {
        let tr = Tr::default();
        let bytes = build(tr, &[("430523100001".into(), "大岭社区".into())]).unwrap();
        let rows = super::super::sheet::read(&bytes).unwrap();
        let (h, cols) = super::super::sheet::find_header(&rows).unwrap();
        assert_eq!(h, 0);
        assert_eq!(cols.len(), COLUMNS.len());
        assert!(super::super::sheet::inputs(rows, h, &cols).is_empty());
    }
}
