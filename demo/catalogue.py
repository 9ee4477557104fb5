"""What the demo marketplace is made of: its shops and what they sell, its people, its cities.

Plain data, no database: :mod:`demo.marketplace` writes it, the scenarios pick from it.
"""

from dataclasses import dataclass, field

# --- the catalogue -------------------------------------------------------------------------


@dataclass(frozen=True)
class Product:
    title: str
    variants: tuple[tuple[str, str], ...]  # (SKU snapshot, unit price in yuan)
    faults: tuple[str, ...] = ()
    parts: tuple[str, ...] = ("赠品", "说明书和保修卡")
    repairable: bool = False


def _sized(title, colours, sizes, price, **kwargs) -> Product:
    variants = tuple((f"颜色分类：{c}；尺码：{s}", price) for c in colours for s in sizes)
    return Product(title, variants, **kwargs)


@dataclass(frozen=True)
class ShopSpec:
    name: str
    owner: tuple[str, str, str]  # username, family name, given name
    address: tuple[str, str, str]  # recipient, phone, address
    products: tuple[Product, ...]
    weight: float  # share of the random orders
    policy: dict = field(default_factory=dict)
    warehouse: tuple[str, str, str] | None = None  # a second, non-default return address
    repair_point: tuple[str, str, str] | None = None  # 指定维修点: where repairs go


SHOPS: tuple[ShopSpec, ...] = (
    ShopSpec(
        name="杭州茶香旗舰店",
        owner=("seller", "陈", "志远"),
        address=("陈志远", "13957112345", "浙江省杭州市西湖区龙井路 18 号 茶香茶业售后部"),
        warehouse=("茶香仓储", "0571-88776655", "浙江省杭州市余杭区仓前街道良睦路 1399 号 2 号仓"),
        repair_point=(
            "茶香茶具维修点",
            "0571-88990011",
            "浙江省杭州市西湖区文三路 90 号 茶具维修中心",
        ),
        weight=0.36,
        products=(
            Product(
                "西湖龙井 明前特级 2026新茶 绿茶",
                (("250g 罐装", "268.00"), ("250g 礼盒装", "298.00"), ("500g 家庭装", "498.00")),
                faults=("茶叶碎末很多，开罐有一股陈味", "茶叶受潮结块，泡出来有霉味"),
                parts=("手提礼袋", "赠送的茶则"),
            ),
            Product(
                "安吉白茶 雨前一级 罐装",
                (("150g", "138.00"), ("300g 双罐礼盒", "268.00")),
                faults=("罐子封口不严，茶叶受潮发黄",),
            ),
            Product(
                "云南普洱熟茶 勐海七子饼 2019年",
                (("357g 单饼", "198.00"), ("357g×7 一提", "1280.00")),
                faults=("茶饼表面有白色霉点",),
            ),
            Product(
                "武夷山大红袍 岩茶 浓香型",
                (("125g 罐装", "158.00"), ("250g 罐装", "298.00")),
                faults=("茶汤有明显的焦糊味，和以前买的完全不一样",),
            ),
            Product(
                "福鼎白茶 白牡丹 2020年 老白茶饼",
                (("300g", "228.00"),),
                faults=("茶饼松散，里面夹杂很多茶梗和黄片",),
            ),
            Product(
                "宜兴紫砂壶 西施壶 原矿紫泥 手工",
                (("220ml", "388.00"), ("300ml", "458.00")),
                faults=("壶盖和壶身不密合，倒水时壶嘴漏水",),
                parts=("壶盖", "收藏证书"),
            ),
            Product(
                "青瓷品茗杯 六只装",
                (("青釉", "89.00"), ("月白", "89.00")),
                faults=("有两只杯子杯口有裂纹",),
            ),
            Product(
                "自动上水电热水壶 茶台烧水壶",
                (("单炉 1.0L", "259.00"), ("双炉 1.2L", "329.00")),
                faults=("自动上水泵不工作，烧一会儿就跳闸", "加热到一半就断电，指示灯一直闪"),
                parts=("上水管", "消毒锅盖"),
                repairable=True,
            ),
            Product(
                "电陶炉 煮茶器 静音 家用",
                (("黑色 1200W", "199.00"), ("白色 1200W", "199.00")),
                faults=("开机几分钟就报 E3 故障，不能加热",),
                parts=("电源线",),
                repairable=True,
            ),
            Product(
                "竹制茶盘 排水式 家用",
                (("60×40cm", "159.00"), ("80×45cm", "199.00")),
                faults=("茶盘表面开裂，排水口漏水",),
                parts=("排水管",),
            ),
        ),
    ),
    ShopSpec(
        name="优衣小铺",
        owner=("seller-b", "林", "晓燕"),
        address=(
            "林晓燕",
            "13826012345",
            "广东省广州市白云区石井街道庆丰工业园 B 栋 3 楼 优衣小铺退货组",
        ),
        weight=0.26,
        # 15-day no-reason returns, and the shop pays no-reason return shipping (运费险).
        policy={"no_reason_return_days": 15, "pays_no_reason_return_shipping": True},
        products=(
            _sized(
                "纯棉圆领短袖T恤 男女同款",
                ["白色", "黑色", "雾霾蓝"],
                ["S", "M", "L", "XL"],
                "59.00",
                faults=("洗了一次就严重缩水变形", "领口开线，袖口全是线头"),
            ),
            _sized(
                "高腰直筒牛仔裤 女 显瘦",
                ["浅蓝", "深蓝"],
                ["25", "26", "27", "28", "29"],
                "139.00",
                faults=("洗一次掉色严重，把别的衣服都染了",),
            ),
            _sized(
                "轻薄羽绒服 短款 立领",
                ["黑色", "米白", "藏青"],
                ["M", "L", "XL"],
                "399.00",
                faults=("往外钻绒很厉害，拉链也拉不上",),
            ),
            _sized(
                "针织开衫 春秋款 宽松",
                ["燕麦色", "灰色"],
                ["均码"],
                "169.00",
                faults=("起球很严重，穿一天就起球",),
            ),
            _sized(
                "运动休闲卫裤 束脚",
                ["黑色", "灰色"],
                ["M", "L", "XL", "XXL"],
                "99.00",
                faults=("裤腰的松紧带断了",),
            ),
            _sized(
                "真丝衬衫 长袖 通勤",
                ["白色", "香槟色"],
                ["S", "M", "L"],
                "329.00",
                faults=("衣服上有一块明显的污渍，洗不掉",),
            ),
            _sized(
                "帆布鞋 小白鞋 百搭",
                ["白色"],
                ["36", "37", "38", "39", "40", "41", "42"],
                "129.00",
                faults=("穿了三天鞋底就开胶了",),
            ),
        ),
    ),
    ShopSpec(
        name="数码优选",
        owner=("seller-c", "张", "浩"),
        address=(
            "张浩",
            "0755-23456789",
            "广东省深圳市龙华区民治街道优城科技园 5 栋 6 楼 售后维修中心",
        ),
        weight=0.24,
        policy={"warranty_days": 730},
        products=(
            Product(
                "头戴式蓝牙降噪耳机",
                (("曜石黑", "699.00"), ("月光银", "699.00")),
                faults=("开启降噪后有滋滋的电流声", "右耳没有声音，重新配对也不行"),
                parts=("收纳包", "3.5mm 音频线"),
                repairable=True,
            ),
            Product(
                "真无线蓝牙耳机 半入耳式",
                (("白色 标准版", "249.00"), ("白色 无线充版", "299.00")),
                faults=("左耳经常断连，充电仓充不进电",),
                parts=("充电线", "备用耳塞"),
                repairable=True,
            ),
            Product(
                "65W 氮化镓快充充电器 三口",
                (("白色 单头", "119.00"), ("白色 含C-C线套装", "139.00")),
                faults=("充电时发烫严重，手机充不进电",),
                parts=("C-C 数据线",),
                repairable=True,
            ),
            Product(
                "20000mAh 移动电源 22.5W 快充",
                (("黑色", "159.00"), ("白色", "159.00")),
                faults=("充满电放一晚电量就没了",),
                parts=("充电线",),
                repairable=True,
            ),
            Product(
                "87键机械键盘 热插拔",
                (("茶轴 白光", "329.00"), ("红轴 RGB", "369.00")),
                faults=("有几个键连击，空格键没反应",),
                parts=("拔键器", "Type-C 线"),
                repairable=True,
            ),
            Product(
                "无线静音鼠标 双模",
                (("深空灰", "79.00"), ("奶白", "79.00")),
                faults=("滚轮失灵，页面上下乱跳",),
                parts=("USB 接收器",),
            ),
            Product(
                "USB-C 编织数据线 1.5m",
                (("两条装", "39.00"),),
                faults=("接触不良，一动就断开",),
            ),
            Product(
                "智能手表 运动版 血氧心率",
                (("黑色 硅胶表带", "899.00"), ("银色 米兰表带", "999.00")),
                faults=("屏幕有一道亮线，触摸偶尔失灵",),
                parts=("磁吸充电线",),
                repairable=True,
            ),
        ),
    ),
    ShopSpec(
        name="家居生活馆",
        owner=("seller-d", "刘", "芳"),
        address=(
            "刘芳",
            "13705791234",
            "浙江省金华市义乌市北苑街道春晗二区 12 幢 1 单元 家居生活馆售后",
        ),
        weight=0.14,
        products=(
            Product(
                "泰国天然乳胶枕 成人护颈",
                (("单只装", "159.00"), ("两只装", "299.00")),
                faults=("有很重的刺鼻气味，放了一周也散不掉",),
                parts=("枕套",),
            ),
            Product(
                "纯棉四件套 1.8m床",
                (("灰白格", "259.00"), ("雾蓝", "259.00")),
                faults=("被套有一处开线，洗了一次就褪色",),
                parts=("枕套",),
            ),
            Product(
                "316不锈钢保温杯 500ml",
                (("奶油白", "89.00"), ("墨绿", "89.00")),
                faults=("杯盖漏水，保温不到两个小时",),
                parts=("杯套",),
            ),
            Product(
                "声波电动牙刷 成人款",
                (("白色 含3刷头", "199.00"),),
                faults=("充满电用两天就没电，震动很弱",),
                parts=("刷头", "充电座"),
                repairable=True,
            ),
            Product(
                "空气炸锅 4.5L 可视窗",
                (("奶白", "329.00"),),
                faults=("加热管不热，按键失灵",),
                parts=("烤架",),
                repairable=True,
            ),
            Product(
                "收纳箱 带盖 三件套",
                (("透明 大号×3", "69.00"),),
                faults=("箱盖卡扣断了，盖不严",),
            ),
        ),
    ),
)

SHOP_NAMES = tuple(spec.name for spec in SHOPS)

# --- people --------------------------------------------------------------------------------

PASSWORD = "demo-pass-2026"  # every demo login has the same one
MAIN_BUYER = "buyer"
BUYERS: tuple[tuple[str, str, str], ...] = (
    (MAIN_BUYER, "王", "小明"),
    ("liwei", "李", "伟"),
    ("zhangmin", "张", "敏"),
    ("wangfang", "王", "芳"),
    ("liuyang", "刘", "洋"),
    ("chenjing", "陈", "静"),
    ("yangli", "杨", "丽"),
    ("zhaolei", "赵", "磊"),
    ("huangyan", "黄", "艳"),
    ("zhouqiang", "周", "强"),
    ("wuxia", "吴", "霞"),
    ("xuming", "徐", "明"),
    ("sunli", "孙", "丽"),
    ("majun", "马", "军"),
    ("zhuhong", "朱", "红"),
    ("hujie", "胡", "杰"),
    ("guoping", "郭", "平"),
    ("linna", "林", "娜"),
    ("heyong", "何", "勇"),
    ("gaojing", "高", "静"),
    ("luotao", "罗", "涛"),
    ("zhengshuang", "郑", "爽"),
)
STAFF = ("staff", "周", "小二")
ADMIN = ("admin", "", "")
DEMO_USERNAMES = (
    *(b[0] for b in BUYERS),
    *(spec.owner[0] for spec in SHOPS),
    STAFF[0],
    ADMIN[0],
)

# (login, who it is, its page under the address the site is served at), printed by load_demo.
LOGINS = (
    ("buyer", "a buyer with orders and requests in several shops", ""),
    ("seller", f"owner of {SHOPS[0].name}: its after-sales queue", "seller/"),
    (
        "staff",
        "platform arbitrator and customer service (groups “arbitrators”, “support”): disputes, "
        "customer service, call backs",
        "admin/",
    ),
    ("admin", "superuser", "admin/"),
)

# The region each city is in, as return-shipping insurance prices a claim (Order.region).
REGION_OF_CITY = {
    "浙江省": "east",
    "上海市": "east",
    "江苏省": "east",
    "福建省": "east",
    "山东省": "east",
    "北京市": "north",
    "广东省": "south",
    "湖北省": "central",
    "湖南省": "central",
    "四川省": "southwest",
    "重庆市": "southwest",
    "陕西省": "northwest",
}
# The shop that gives every order 退货宝 (return-shipping insurance paid by the shop), and how
# often buyers elsewhere buy the insurance themselves.
INSURING_SHOP = 1
BOUGHT_INSURANCE_SHARE = 0.3

CITIES = (
    "浙江省杭州市西湖区文三路 90 号",
    "上海市浦东新区张杨路 500 号",
    "北京市朝阳区望京街 10 号",
    "广东省深圳市南山区科技园南区 8 栋",
    "江苏省南京市鼓楼区中山北路 88 号",
    "四川省成都市武侯区天府大道北段 1700 号",
    "湖北省武汉市洪山区珞喻路 129 号",
    "福建省厦门市思明区湖滨南路 55 号",
    "山东省青岛市市南区香港中路 36 号",
    "陕西省西安市雁塔区高新路 25 号",
    "重庆市渝北区金开大道 68 号",
    "湖南省长沙市岳麓区麓谷大道 627 号",
)
