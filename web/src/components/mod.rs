//! What the storefront renders, one component per file.

mod cart_bar;
mod cart_panel;
mod closed;
mod confirmation;
mod error_message;
mod header;
mod load_failure;
mod menu_card;
mod menu_grid;
mod no_restaurant;
mod option_dialog;
mod order_lines;
mod pickup_choice;
mod pickup_slots;
mod pickup_time;
mod storefront;
mod tracking;

pub use cart_bar::CartBar;
pub use cart_panel::CartPanel;
pub use closed::Closed;
pub use confirmation::Confirmation;
pub use error_message::ErrorMessage;
pub use header::Header;
pub use load_failure::LoadFailure;
pub use menu_card::MenuCard;
pub use menu_grid::MenuGrid;
pub use no_restaurant::NoRestaurant;
pub use option_dialog::OptionDialog;
pub use order_lines::OrderLines;
pub use pickup_choice::PickupChoice;
pub use pickup_slots::pickup_slots;
pub use pickup_time::pickup_time;
pub use storefront::Storefront;
pub use tracking::Tracking;
