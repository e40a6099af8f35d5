use std::rc::Rc;

use chameleon_wire::{Category, StoreMenu, StoreMenuItem};
use yew::prelude::*;

use super::MenuCard;
use crate::options::groups_of;

#[derive(Properties, PartialEq)]
pub struct MenuGridProps {
    pub menu: Rc<StoreMenu>,
    pub on_add: Callback<StoreMenuItem>,
}

/// One section of the menu: a category, or the items in none.
struct Section<'a> {
    category: Option<&'a Category>,
    items: Vec<&'a StoreMenuItem>,
}

/// The categories in the manager's order, then the items in none (or in a category this page
/// does not know of), each section's items by name as the API sends them.
fn sections(menu: &StoreMenu) -> Vec<Section<'_>> {
    let mut sections: Vec<Section<'_>> = menu
        .categories
        .iter()
        .map(|category| Section {
            category: Some(category),
            items: Vec::new(),
        })
        .collect();
    let mut rest = Vec::new();
    for item in &menu.items {
        match sections
            .iter_mut()
            .find(|s| s.category.map(|c| c.id) == item.category_id)
        {
            Some(section) if item.category_id.is_some() => section.items.push(item),
            _ => rest.push(item),
        }
    }
    if !rest.is_empty() {
        sections.push(Section {
            category: None,
            items: rest,
        });
    }
    sections
}

fn anchor(category: Option<&Category>) -> String {
    category.map_or_else(
        || "category-more".to_owned(),
        |c| format!("category-{}", c.id),
    )
}

/// The menu, by category: a bar of the categories that stays at the top of the screen while
/// scrolling, then each category's dishes, one column on a phone, up to three on a desktop.
#[function_component(MenuGrid)]
pub fn menu_grid(props: &MenuGridProps) -> Html {
    let sections = sections(&props.menu);
    if props.menu.items.is_empty() && props.menu.categories.is_empty() {
        return html! {
            <p class="rounded-xl border border-dashed border-stone-300 p-8 text-center text-stone-500">
                { "Nothing on the menu right now. Please check back soon." }
            </p>
        };
    }
    let grid = |items: &[&StoreMenuItem], heading: bool| {
        html! {
            <ul class="grid grid-cols-1 gap-4 sm:grid-cols-2 xl:grid-cols-3">
                { for items.iter().map(|item| html! {
                    <MenuCard key={item.id.to_string()} item={(*item).clone()}
                              on_add={props.on_add.clone()} in_section={heading}
                              has_options={!groups_of(&props.menu, item).is_empty()} />
                }) }
            </ul>
        }
    };
    // No categories at all: one plain grid, as a small menu needs no sections. (No landmark of
    // its own: the storefront's "Menu" section already is one, and two of one name confuse.)
    if props.menu.categories.is_empty() {
        return grid(&sections[0].items, false);
    }
    html! {
        <div>
            <nav aria-label="Menu categories" data-testid="category-bar"
                 class="sticky top-0 z-10 -mx-4 mb-4 overflow-x-auto border-b border-stone-200 bg-stone-50/95 px-4 py-2 backdrop-blur sm:mx-0 sm:rounded-xl sm:border sm:px-2">
                <ul class="flex gap-2 whitespace-nowrap">
                    { for sections.iter().map(|section| html! {
                        <li>
                            <a href={format!("#{}", anchor(section.category))}
                               class="inline-block rounded-full px-3 py-1.5 text-sm font-medium text-stone-700 hover:bg-stone-200 focus-visible:outline focus-visible:outline-2 focus-visible:outline-primary">
                                { section.category.map_or("More", |c| c.name.as_str()) }
                            </a>
                        </li>
                    }) }
                </ul>
            </nav>
            { for sections.iter().map(|section| {
                let id = anchor(section.category);
                let heading = match section.category {
                    Some(category) => html! {
                        <h3 data-testid="category" class="mb-3 text-xl font-semibold text-stone-900">{ &category.name }</h3>
                    },
                    None => html! {
                        <h3 class="mb-3 text-xl font-semibold text-stone-900">{ "More" }</h3>
                    },
                };
                html! {
                    // scroll-mt: the sticky bar must not cover the heading a link jumps to.
                    <section key={id.clone()} id={id} class="mb-8 scroll-mt-16">
                        { heading }
                        if section.items.is_empty() {
                            <p class="text-sm text-stone-600">{ "Nothing available right now." }</p>
                        } else {
                            { grid(&section.items, true) }
                        }
                    </section>
                }
            }) }
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use uuid::Uuid;

    fn item(n: u128, category: Option<u128>) -> StoreMenuItem {
        let mut item = crate::options::tests::item(n, 100, &[]);
        item.category_id = category.map(Uuid::from_u128);
        item
    }

    fn category(n: u128, name: &str) -> Category {
        Category {
            id: Uuid::from_u128(n),
            name: name.into(),
            position: 0,
            serving_hours: None,
        }
    }

    #[test]
    fn items_go_under_their_category_and_the_rest_last() {
        let menu = StoreMenu {
            categories: vec![
                category(100, "Pizzas"),
                category(200, "Drinks"),
                category(300, "Empty"),
            ],
            items: vec![
                item(1, Some(200)),
                item(2, None),
                item(3, Some(100)),
                item(4, Some(999)),
            ],
            option_groups: Vec::new(),
        };
        let got: Vec<(Option<&str>, Vec<u128>)> = sections(&menu)
            .iter()
            .map(|s| {
                (
                    s.category.map(|c| c.name.as_str()),
                    s.items.iter().map(|i| i.id.as_u128()).collect(),
                )
            })
            .collect();
        assert_eq!(
            got,
            [
                (Some("Pizzas"), vec![3]),
                (Some("Drinks"), vec![1]),
                (Some("Empty"), vec![]),
                (None, vec![2, 4]),
            ]
        );
    }
}
